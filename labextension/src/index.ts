/**
 * Karvdash in JupyterLab: the Services and Images panels of the left sidebar, their
 * commands in the command palette, and their settings.
 */
import {
  ILabShell,
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget } from '@jupyterlab/apputils';
import { ServerConnection } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { KarvdashClient } from './api';
import { connectionFrom } from './connection';
import { ImagesPanel } from './images/panel';
import { createLogsWidget } from './services/logs';
import { ServicesPanel } from './services/panel';
import { CommandIDs, DEFAULT_SETTINGS, ISettings, PLUGIN_ID } from './tokens';

function readSettings(settings: ISettingRegistry.ISettings | null): ISettings {
  if (!settings) {
    return DEFAULT_SETTINGS;
  }
  const composite = settings.composite as Partial<ISettings>;
  return { ...DEFAULT_SETTINGS, ...composite };
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: PLUGIN_ID,
  description: 'The Karvdash Services and Images panels.',
  autoStart: true,
  requires: [ILabShell],
  optional: [ICommandPalette, ISettingRegistry, ITranslator, ILayoutRestorer],
  activate: async (
    app: JupyterFrontEnd,
    shell: ILabShell,
    palette: ICommandPalette | null,
    registry: ISettingRegistry | null,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null
  ) => {
    const trans = (translator ?? nullTranslator).load('karvdash');
    const client = new KarvdashClient(connectionFrom(ServerConnection.makeSettings()));

    let settings: ISettingRegistry.ISettings | null = null;
    if (registry) {
      try {
        settings = await registry.load(PLUGIN_ID);
      } catch (error) {
        console.warn('Karvdash: the settings could not be loaded', error);
      }
    }
    let current = readSettings(settings);

    const openLogs = (name: string): void => {
      void app.commands.execute(CommandIDs.serviceLogs, { name });
    };
    const services = new ServicesPanel(
      client,
      trans,
      openLogs,
      current.refreshInterval
    );
    services.title.caption = trans.__('Karvdash services');
    const images = new ImagesPanel(client, trans, current.refreshInterval);
    shell.add(services, 'left', { rank: 300 });
    shell.add(images, 'left', { rank: 301 });
    if (restorer) {
      restorer.add(services, services.id);
      restorer.add(images, images.id);
    }

    settings?.changed.connect(() => {
      current = readSettings(settings);
      services.refreshInterval = current.refreshInterval;
      images.refreshInterval = current.refreshInterval;
    });

    const logs = new Map<string, MainAreaWidget>();
    const category = trans.__('Karvdash');
    const { commands } = app;
    const show = (widget: Widget): void => shell.activateById(widget.id);

    commands.addCommand(CommandIDs.openServices, {
      label: trans.__('Show Services'),
      caption: trans.__('Your running services'),
      execute: () => show(services)
    });
    commands.addCommand(CommandIDs.openImages, {
      label: trans.__('Show Images'),
      caption: trans.__('The image registry'),
      execute: () => show(images)
    });
    commands.addCommand(CommandIDs.newService, {
      label: trans.__('New Service…'),
      caption: trans.__('Start a service from a template'),
      execute: () => {
        services.model.setView('new');
        show(services);
      }
    });
    commands.addCommand(CommandIDs.manageTemplates, {
      label: trans.__('Manage Service Templates'),
      execute: () => {
        services.model.setView('templates');
        show(services);
      }
    });
    commands.addCommand(CommandIDs.refreshServices, {
      label: trans.__('Refresh Services'),
      execute: () => services.refresh()
    });
    commands.addCommand(CommandIDs.refreshImages, {
      label: trans.__('Refresh Images'),
      execute: () => images.refresh()
    });
    commands.addCommand(CommandIDs.uploadImage, {
      label: trans.__('Upload Image…'),
      caption: trans.__('Upload a "docker save" or OCI archive to the registry'),
      execute: () => {
        images.showUpload();
        show(images);
      }
    });
    commands.addCommand(CommandIDs.serviceLogs, {
      label: args =>
        args.name
          ? trans.__('Logs of %1', String(args.name))
          : trans.__('Service Logs'),
      execute: args => {
        const name = String(args.name ?? '');
        if (!name) {
          return;
        }
        let widget = logs.get(name);
        if (!widget || widget.isDisposed) {
          widget = createLogsWidget(client, name, trans);
          logs.set(name, widget);
          widget.disposed.connect(() => logs.delete(name));
          shell.add(widget, 'main');
        }
        shell.activateById(widget.id);
      }
    });

    if (palette) {
      for (const command of [
        CommandIDs.openServices,
        CommandIDs.newService,
        CommandIDs.manageTemplates,
        CommandIDs.refreshServices,
        CommandIDs.openImages,
        CommandIDs.uploadImage,
        CommandIDs.refreshImages
      ]) {
        palette.addItem({ command, category });
      }
    }

    void app.restored.then(() => {
      if (current.defaultView === 'services') {
        show(services);
      } else if (current.defaultView === 'images') {
        show(images);
      }
    });
  }
};

export default plugin;
