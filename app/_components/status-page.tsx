import Link from 'next/link';
import type { ReactNode } from 'react';
import { AlertIcon, CloudOffIcon, LockIcon } from './icons';

/** A full-page message: refusals, not found, offline. Server-renderable, no state. */
export function StatusPage(props: {
  tone: 'warning' | 'danger' | 'info';
  title: string;
  children: ReactNode;
  action?: { href: string; label: string };
  extra?: ReactNode;
}) {
  return (
    <main id="main" className="status-page" data-tone={props.tone}>
      <div className="status-card" role="alert" aria-live="assertive">
        <div className="status-icon" aria-hidden="true">
          {props.tone === 'danger' ? <LockIcon /> : props.tone === 'warning' ? <AlertIcon /> : <CloudOffIcon />}
        </div>
        <h1>{props.title}</h1>
        <p>{props.children}</p>
        <div className="status-actions">
          {props.extra}
          {props.action ? (
            <Link className="button button-primary" href={props.action.href}>
              {props.action.label}
            </Link>
          ) : null}
        </div>
      </div>
    </main>
  );
}
