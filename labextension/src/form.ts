/**
 * The form of a template, built from its variables: pure functions, no DOM.
 *
 * The checks are the server's (karvdash/templates/values.py), so a value the form
 * accepts is one the server accepts; the server checks again all the same, and its
 * refusal is shown at the field it names.
 */
import { ITemplate, IVariable, Value } from './tokens';

/** The translation function (JupyterLab's `TranslationBundle.__`, `%1` placeholders). */
export interface ITrans {
  __(msgid: string, ...args: unknown[]): string;
}

/** No translation: the English text with its `%1`... filled in. */
export const plainTrans: ITrans = {
  __: (msgid: string, ...args: unknown[]) =>
    msgid.replace(/%(\d+)/g, (all, n: string) => {
      const index = Number(n) - 1;
      return index < args.length ? String(args[index]) : all;
    })
};

export type FieldKind = 'text' | 'number' | 'checkbox' | 'select' | 'password';

export interface IOption {
  /** The option's value as the form holds it. */
  value: string;
  label: string;
}

/** One input of the form. */
export interface IField {
  name: string;
  label: string;
  help: string;
  kind: FieldKind;
  /** For `select`: every accepted value. */
  options: IOption[];
  required: boolean;
  variable: IVariable;
}

/** What the form holds: strings, and booleans for checkboxes. */
export type FormValues = Record<string, string | boolean>;

export type FormErrors = Record<string, string>;

/** Longest service name (`<name>-<user>` must fit one DNS label). */
export const MAX_NAME_LENGTH = 32;
/** Longest string value. */
export const MAX_VALUE_LENGTH = 16 * 1024;

const SERVICE_NAME = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const INTEGER = /^[+-]?[0-9]{1,18}$/;
const TRUE = ['true', 'yes', 'on', '1'];
const FALSE = ['false', 'no', 'off', '0'];

/** `MESSAGE` -> `Message`, `NODE_PORT` -> `Node port`. */
export function humanize(name: string): string {
  const words = name.toLowerCase().split('_').filter(Boolean).join(' ');
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function show(value: Value): string {
  return typeof value === 'string' ? `'${value}'` : String(value);
}

function kindOf(variable: IVariable): FieldKind {
  if (variable.type === 'boolean') {
    return 'checkbox';
  }
  if (variable.choices.length > 0) {
    return 'select';
  }
  if (variable.secret) {
    return 'password';
  }
  return variable.type === 'integer' ? 'number' : 'text';
}

/** The fields of a template's form, `NAME` first. */
export function buildFields(template: ITemplate, trans: ITrans = plainTrans): IField[] {
  const variables = [...template.variables];
  variables.sort((a, b) => Number(b.name === 'NAME') - Number(a.name === 'NAME'));
  return variables.map(variable => ({
    name: variable.name,
    label:
      variable.name === 'NAME' ? trans.__('Service name') : humanize(variable.name),
    help: variable.help,
    kind: kindOf(variable),
    options: variable.choices.map(c => ({ value: String(c), label: String(c) })),
    required:
      variable.name === 'NAME' || variable.required || variable.type !== 'string',
    variable
  }));
}

/** What the form shows first: each variable's default (or nothing). */
export function initialValues(fields: IField[]): FormValues {
  const values: FormValues = {};
  for (const field of fields) {
    const value = field.variable.default;
    if (field.kind === 'checkbox') {
      values[field.name] = value === true;
    } else if (field.kind === 'select' && (value === null || value === undefined)) {
      values[field.name] = field.options[0]?.value ?? '';
    } else {
      values[field.name] = value === null || value === undefined ? '' : String(value);
    }
  }
  return values;
}

/** The value of a field as the API takes it, or the rule it breaks. */
export function parseField(
  field: IField,
  raw: string | boolean,
  trans: ITrans = plainTrans
): { value: Value } | { error: string } {
  const variable = field.variable;
  if (variable.name === 'NAME') {
    const name = String(raw).trim();
    if (!name) {
      return { error: trans.__('Give the service a name.') };
    }
    if (name.length > MAX_NAME_LENGTH || !SERVICE_NAME.test(name)) {
      return {
        error: trans.__(
          'Use lower-case letters, digits and "-", start with a letter, end with a letter or digit, at most %1 characters.',
          MAX_NAME_LENGTH
        )
      };
    }
    return { value: name };
  }
  let value: Value;
  if (variable.type === 'boolean') {
    if (typeof raw === 'boolean') {
      value = raw;
    } else if (TRUE.includes(raw.trim().toLowerCase())) {
      value = true;
    } else if (FALSE.includes(raw.trim().toLowerCase())) {
      value = false;
    } else {
      return { error: trans.__('Must be true or false.') };
    }
  } else if (variable.type === 'integer') {
    const text = String(raw).trim();
    if (!text) {
      return { error: trans.__('Required: enter a whole number.') };
    }
    if (!INTEGER.test(text)) {
      return { error: trans.__('Must be a whole number, not %1.', show(text)) };
    }
    value = parseInt(text, 10);
  } else {
    const text = String(raw);
    if (text.length > MAX_VALUE_LENGTH) {
      return { error: trans.__('At most %1 characters.', MAX_VALUE_LENGTH) };
    }
    if (variable.required && !text.trim()) {
      return { error: trans.__('Required: this cannot be empty.') };
    }
    if (variable.pattern !== null && !matchesPattern(variable.pattern, text)) {
      return { error: trans.__('Must match the pattern %1.', variable.pattern) };
    }
    value = text;
  }
  if (variable.choices.length > 0 && !variable.choices.includes(value)) {
    return {
      error: trans.__('Must be one of %1.', variable.choices.map(show).join(', '))
    };
  }
  return { value };
}

/**
 * Whether `text` matches the whole of a template's (Python) pattern. A pattern that
 * is not a valid JavaScript one is left to the server to check.
 */
export function matchesPattern(pattern: string, text: string): boolean {
  let regex: RegExp;
  try {
    regex = new RegExp(`^(?:${pattern})$`, 'u');
  } catch {
    return true;
  }
  return regex.test(text);
}

/** Every field's error (none: an empty object). */
export function validate(
  fields: IField[],
  values: FormValues,
  trans: ITrans = plainTrans
): FormErrors {
  const errors: FormErrors = {};
  for (const field of fields) {
    const parsed = parseField(field, values[field.name] ?? '', trans);
    if ('error' in parsed) {
      errors[field.name] = parsed.error;
    }
  }
  return errors;
}

/** The launch request of a valid form: the name apart, the other values typed. */
export function toLaunch(
  template: ITemplate,
  fields: IField[],
  values: FormValues
): { template: string; name?: string; values: Record<string, Value> } {
  const launch: { template: string; name?: string; values: Record<string, Value> } = {
    template: template.id,
    values: {}
  };
  for (const field of fields) {
    const parsed = parseField(field, values[field.name] ?? '');
    if ('error' in parsed) {
      throw new Error(`${field.name}: ${parsed.error}`);
    }
    if (field.name === 'NAME') {
      launch.name = String(parsed.value);
    } else {
      launch.values[field.name] = parsed.value;
    }
  }
  return launch;
}
