/**
 * Unit tests of the parts with no JupyterLab import: the form builder, the API
 * client, the upload. They run against a real HTTP server on loopback (test/server.ts).
 */
module.exports = {
  testEnvironment: 'node',
  roots: ['<rootDir>/test'],
  testRegex: '\\.spec\\.ts$',
  transform: {
    '^.+\\.tsx?$': ['ts-jest', { tsconfig: 'tsconfig.test.json' }]
  },
  collectCoverageFrom: ['src/form.ts', 'src/request.ts', 'src/api.ts', 'src/upload.ts'],
  coverageReporters: ['text-summary'],
  testTimeout: 20000
};
