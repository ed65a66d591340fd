// Imported first by the package entry: holds back oidc-provider's import-time notices (quiet.ts).
import { holdImportNotices } from './quiet.js';

holdImportNotices();
