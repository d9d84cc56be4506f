export * from './codec.ts';
export * from './hello.ts';
export * from './messages.ts';
