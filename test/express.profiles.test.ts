import { profileMatrix } from './matrix/profiles.js';
import { startProcess } from './helpers/processes.js';

// The Express example (built dist/) against every sandbox profile.
profileMatrix('express', (env) => startProcess('node', ['examples/express/dist/server.js'], { env }));
