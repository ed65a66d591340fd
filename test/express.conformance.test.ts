import { conformanceSuite } from './conformance/suite.js';
import { startProcess } from './helpers/processes.js';

// The Express example, built (dist/) and started as its own process, as a user would run it.
conformanceSuite('examples/express', (env) => startProcess('node', ['examples/express/dist/server.js'], { env }));
