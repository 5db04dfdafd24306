/**
 * The form of one template: a field per variable, with its help, its default, a
 * drop-down for choices, and the rule a value breaks shown under it as you type.
 */
import React, { useMemo, useState } from 'react';

import { KarvdashClient } from '../api';
import {
  FormErrors,
  FormValues,
  IField,
  ITrans,
  buildFields,
  initialValues,
  toLaunch,
  validate
} from '../form';
import { KarvdashError } from '../request';
import { ITemplate, IService } from '../tokens';

function FieldInput(props: {
  field: IField;
  value: string | boolean;
  error: string | undefined;
  shown: boolean;
  onChange: (value: string | boolean) => void;
  onBlur: () => void;
}): JSX.Element {
  const { field, value, error, shown } = props;
  const id = `jp-karvdash-field-${field.name}`;
  const helpId = `${id}-help`;
  const errorId = `${id}-error`;
  const invalid = shown && error !== undefined;
  const describedBy = [field.help ? helpId : '', invalid ? errorId : '']
    .filter(Boolean)
    .join(' ');
  const common = {
    id,
    name: field.name,
    'aria-invalid': invalid,
    'aria-describedby': describedBy || undefined,
    onBlur: props.onBlur
  };
  let input: JSX.Element;
  if (field.kind === 'checkbox') {
    input = (
      <input
        {...common}
        type="checkbox"
        checked={value === true}
        onChange={e => props.onChange(e.target.checked)}
      />
    );
  } else if (field.kind === 'select') {
    input = (
      <select
        {...common}
        className="jp-mod-styled"
        value={String(value)}
        onChange={e => props.onChange(e.target.value)}
      >
        {field.options.map(o => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    );
  } else {
    input = (
      <input
        {...common}
        className="jp-mod-styled"
        type={field.kind === 'password' ? 'password' : 'text'}
        inputMode={field.kind === 'number' ? 'numeric' : undefined}
        autoComplete={field.kind === 'password' ? 'new-password' : 'off'}
        spellCheck={false}
        required={field.required}
        value={String(value)}
        onChange={e => props.onChange(e.target.value)}
      />
    );
  }
  return (
    <div
      className={`jp-karvdash-field jp-karvdash-field-${field.kind}${invalid ? ' jp-mod-invalid' : ''}`}
    >
      <label htmlFor={id}>
        {field.label}
        <code className="jp-karvdash-varname">{field.name}</code>
      </label>
      {input}
      {field.help ? (
        <div id={helpId} className="jp-karvdash-help">
          {field.help}
        </div>
      ) : null}
      {invalid ? (
        <div id={errorId} className="jp-karvdash-field-error" role="alert">
          {error}
        </div>
      ) : null}
    </div>
  );
}

export function TemplateForm(props: {
  template: ITemplate;
  client: KarvdashClient;
  trans: ITrans;
  onBack: () => void;
  onLaunched: (service: IService) => void;
}): JSX.Element {
  const { template, trans } = props;
  const fields = useMemo(() => buildFields(template, trans), [template]);
  const [values, setValues] = useState<FormValues>(() => initialValues(fields));
  const [touched, setTouched] = useState<Record<string, boolean>>({});
  const [serverErrors, setServerErrors] = useState<FormErrors>({});
  const [formError, setFormError] = useState('');
  const [busy, setBusy] = useState(false);
  const errors: FormErrors = { ...validate(fields, values, trans), ...serverErrors };
  const valid = Object.keys(errors).length === 0;

  const change = (name: string, value: string | boolean): void => {
    setValues({ ...values, [name]: value });
    setTouched({ ...touched, [name]: true });
    if (serverErrors[name] !== undefined) {
      const rest = { ...serverErrors };
      delete rest[name];
      setServerErrors(rest);
    }
  };

  const submit = async (event: React.FormEvent): Promise<void> => {
    event.preventDefault();
    setTouched(Object.fromEntries(fields.map(f => [f.name, true])));
    if (!valid || busy) {
      return;
    }
    setBusy(true);
    setFormError('');
    try {
      const service = await props.client.launch(toLaunch(template, fields, values));
      props.onLaunched(service);
    } catch (error) {
      const refused = error instanceof KarvdashError ? error : null;
      if (refused?.variable && fields.some(f => f.name === refused.variable)) {
        setServerErrors({ [refused.variable]: refused.detail });
      } else {
        setFormError(String((error as Error).message ?? error));
      }
      setBusy(false);
    }
  };

  return (
    <form
      className="jp-karvdash-form"
      onSubmit={e => void submit(e)}
      aria-label={trans.__('New %1 service', template.name)}
      noValidate
    >
      <h3 className="jp-karvdash-form-title">{template.name}</h3>
      <p className="jp-karvdash-description">{template.description}</p>
      {fields.map(field => (
        <FieldInput
          key={field.name}
          field={field}
          value={values[field.name] ?? ''}
          error={errors[field.name]}
          shown={touched[field.name] === true || serverErrors[field.name] !== undefined}
          onChange={v => change(field.name, v)}
          onBlur={() => setTouched({ ...touched, [field.name]: true })}
        />
      ))}
      {formError ? (
        <p className="jp-karvdash-error" role="alert">
          {formError}
        </p>
      ) : null}
      <div className="jp-karvdash-buttons">
        <button
          type="button"
          className="jp-Button jp-mod-styled jp-mod-reject"
          onClick={props.onBack}
        >
          {trans.__('Back')}
        </button>
        <button
          type="submit"
          className="jp-Button jp-mod-styled jp-mod-accept"
          disabled={busy || !valid}
        >
          {busy ? trans.__('Launching…') : trans.__('Launch')}
        </button>
      </div>
    </form>
  );
}
