import {
  MAX_NAME_LENGTH,
  buildFields,
  humanize,
  initialValues,
  parseField,
  plainTrans,
  toLaunch,
  validate
} from '../src/form';
import { everything, hello } from './templates';

function field(name: string) {
  const found = buildFields(everything).find(f => f.name === name);
  if (!found) {
    throw new Error(`no field ${name}`);
  }
  return found;
}

describe('buildFields', () => {
  it('puts the service name first, then the variables in template order', () => {
    expect(buildFields(everything).map(f => f.name)).toEqual([
      'NAME',
      'PORT',
      'DEBUG',
      'USER_NAME',
      'PASSWORD',
      'SIZE',
      'LABEL'
    ]);
    expect(buildFields(hello)[0]?.label).toBe('Service name');
  });

  it('picks an input for each kind of variable', () => {
    const kinds = Object.fromEntries(
      buildFields(everything).map(f => [f.name, f.kind])
    );
    expect(kinds).toEqual({
      NAME: 'text',
      PORT: 'number',
      DEBUG: 'checkbox',
      USER_NAME: 'text',
      PASSWORD: 'password',
      SIZE: 'select',
      LABEL: 'text'
    });
  });

  it('offers the choices of a variable as a drop-down, integers as text', () => {
    const replicas = buildFields(hello).find(f => f.name === 'REPLICAS');
    expect(replicas?.kind).toBe('select');
    expect(replicas?.options).toEqual([
      { value: '1', label: '1' },
      { value: '2', label: '2' },
      { value: '3', label: '3' }
    ]);
  });

  it('shows the help text and a readable label', () => {
    const message = buildFields(hello).find(f => f.name === 'MESSAGE');
    expect(message?.label).toBe('Message');
    expect(message?.help).toBe('The message the page shows.');
    expect(humanize('USER_NAME')).toBe('User name');
  });
});

describe('initialValues', () => {
  it('starts from the defaults', () => {
    expect(initialValues(buildFields(hello))).toEqual({
      NAME: 'hello',
      MESSAGE: 'Hello from Karvdash!',
      REPLICAS: '1'
    });
  });

  it('leaves variables without a default empty, the first choice chosen', () => {
    expect(initialValues(buildFields(everything))).toEqual({
      NAME: 'all',
      PORT: '8080',
      DEBUG: false,
      USER_NAME: '',
      PASSWORD: '',
      SIZE: 'small',
      LABEL: ''
    });
  });
});

describe('validate', () => {
  it('accepts the defaults of a template whose variables all have one', () => {
    const fields = buildFields(hello);
    expect(validate(fields, initialValues(fields))).toEqual({});
  });

  it('names every required value that is missing', () => {
    const fields = buildFields(everything);
    const errors = validate(fields, initialValues(fields));
    expect(Object.keys(errors).sort()).toEqual(['PASSWORD', 'USER_NAME']);
    expect(errors.PASSWORD).toBe('Required: this cannot be empty.');
  });

  it.each([
    ['Hello', false],
    ['1st', false],
    ['web-', false],
    ['a'.repeat(MAX_NAME_LENGTH + 1), false],
    ['', false],
    ['a'.repeat(MAX_NAME_LENGTH), true],
    ['web-2', true]
  ])('checks the service name %p (valid: %p)', (name, ok) => {
    const result = parseField(field('NAME'), name);
    expect('value' in result).toBe(ok);
  });

  it('refuses an integer that is not one, as the server does', () => {
    expect(parseField(field('PORT'), '80a')).toEqual({
      error: "Must be a whole number, not '80a'."
    });
    expect(parseField(field('PORT'), '')).toEqual({
      error: 'Required: enter a whole number.'
    });
    expect(parseField(field('PORT'), ' 443 ')).toEqual({ value: 443 });
  });

  it('refuses a value that is not one of the choices', () => {
    const replicas = buildFields(hello).find(f => f.name === 'REPLICAS');
    if (!replicas) {
      throw new Error('no REPLICAS');
    }
    expect(parseField(replicas, '7')).toEqual({ error: 'Must be one of 1, 2, 3.' });
    expect(parseField(replicas, '2')).toEqual({ value: 2 });
  });

  it('matches a pattern against the whole value', () => {
    expect(parseField(field('USER_NAME'), 'alice')).toEqual({ value: 'alice' });
    expect(parseField(field('USER_NAME'), 'alice1')).toEqual({
      error: 'Must match the pattern [a-z]+.'
    });
  });

  it('leaves a pattern JavaScript cannot read to the server', () => {
    expect(parseField(field('LABEL'), 'ABC')).toEqual({ value: 'ABC' });
  });

  it('takes the usual spellings of a boolean', () => {
    expect(parseField(field('DEBUG'), true)).toEqual({ value: true });
    expect(parseField(field('DEBUG'), 'no')).toEqual({ value: false });
    expect(parseField(field('DEBUG'), 'maybe')).toEqual({
      error: 'Must be true or false.'
    });
  });

  it('translates its messages', () => {
    const trans = {
      __: (msgid: string, ...args: unknown[]) => `[${msgid}]${args.join()}`
    };
    expect(parseField(field('PORT'), 'x', trans)).toEqual({
      error: "[Must be a whole number, not %1.]'x'"
    });
    expect(plainTrans.__('%1 of %2', 'a', 'b')).toBe('a of b');
  });
});

describe('toLaunch', () => {
  it('sends the name apart and every other value typed', () => {
    const fields = buildFields(everything);
    const values = {
      ...initialValues(fields),
      NAME: 'mine',
      PORT: '9000',
      DEBUG: true,
      USER_NAME: 'bob',
      PASSWORD: 's3cret',
      SIZE: 'large'
    };
    expect(toLaunch(everything, fields, values)).toEqual({
      template: 'everything',
      name: 'mine',
      values: {
        PORT: 9000,
        DEBUG: true,
        USER_NAME: 'bob',
        PASSWORD: 's3cret',
        SIZE: 'large',
        LABEL: ''
      }
    });
  });

  it('refuses to build a request from an invalid form', () => {
    const fields = buildFields(hello);
    expect(() =>
      toLaunch(hello, fields, { ...initialValues(fields), REPLICAS: '9' })
    ).toThrow('REPLICAS: Must be one of 1, 2, 3.');
  });
});
