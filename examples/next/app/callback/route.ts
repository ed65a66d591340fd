import { handlers } from '../../smart';

export const { GET, POST } = handlers;
