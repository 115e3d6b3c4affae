export * from '../../src/console/block-kit.js';
