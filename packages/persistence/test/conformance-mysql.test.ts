import { defineConformanceSuite } from './conformance/suite.js';

defineConformanceSuite('mysql');
