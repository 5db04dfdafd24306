/**
 * Templates as `GET /templates` gives them (service-templates/hello-kubernetes, and
 * one with every kind of variable).
 */
import { ITemplate } from '../src/tokens';

export const hello: ITemplate = {
  id: 'hello-kubernetes',
  name: 'Hello Kubernetes',
  description: 'A small web page that says hello and shows the pod it runs in.',
  singleton: false,
  system: true,
  kinds: ['Service', 'Deployment', 'Ingress'],
  variables: [
    {
      name: 'NAME',
      default: 'hello',
      help: 'Name of the service (part of its address).',
      type: 'string',
      choices: [],
      required: false,
      pattern: null
    },
    {
      name: 'MESSAGE',
      default: 'Hello from Karvdash!',
      help: 'The message the page shows.',
      type: 'string',
      choices: [],
      required: false,
      pattern: null
    },
    {
      name: 'REPLICAS',
      default: 1,
      help: 'How many pods serve the page.',
      type: 'integer',
      choices: [1, 2, 3],
      required: false,
      pattern: null
    }
  ]
};

export const everything: ITemplate = {
  id: 'everything',
  name: 'Everything',
  description: 'Every kind of variable.',
  singleton: true,
  system: false,
  kinds: ['Service'],
  variables: [
    {
      name: 'PORT',
      default: 8080,
      help: 'Port.',
      type: 'integer',
      choices: [],
      required: false,
      pattern: null
    },
    {
      name: 'NAME',
      default: 'all',
      help: '',
      type: 'string',
      choices: [],
      required: false,
      pattern: null
    },
    {
      name: 'DEBUG',
      default: false,
      help: 'Verbose logs.',
      type: 'boolean',
      choices: [],
      required: false,
      pattern: null
    },
    {
      name: 'USER_NAME',
      default: null,
      help: 'Lower-case letters only.',
      type: 'string',
      choices: [],
      required: true,
      pattern: '[a-z]+'
    },
    {
      name: 'PASSWORD',
      default: null,
      help: '',
      type: 'string',
      choices: [],
      required: true,
      pattern: null,
      secret: true
    },
    {
      name: 'SIZE',
      default: null,
      help: '',
      type: 'string',
      choices: ['small', 'large'],
      required: false,
      pattern: null
    },
    {
      name: 'LABEL',
      default: '',
      help: 'A Python-only pattern.',
      type: 'string',
      choices: [],
      required: false,
      pattern: '(?P<word>[a-z]*)'
    }
  ]
};
