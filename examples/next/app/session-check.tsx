'use client';
import { useActionState } from 'react';
import { checkSession, type SessionInfo } from './actions';

/** Calls the checkSession Server Action and shows what it saw. */
export function SessionCheck() {
  const [info, action, pending] = useActionState<SessionInfo | null | undefined>(() => checkSession(), undefined);
  return (
    <form action={action}>
      <button id="check-session" type="submit" disabled={pending}>Check session</button>{' '}
      <output id="session-info">{info === undefined ? '' : info ? `patient ${info.patient ?? 'none'}, token valid until ${new Date((info.expiresAt ?? 0) * 1000).toISOString()}` : 'not signed in'}</output>
    </form>
  );
}
