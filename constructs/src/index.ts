/** Public entry point of the Warden construct library. */
export * from './aws';
export * from './compliance/aws';
export * from './compliance/report';
export * from './core';
// gcp exports
