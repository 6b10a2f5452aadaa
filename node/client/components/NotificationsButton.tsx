/** "Enable notifications": the only place that asks the browser's permission, and only when clicked. */
import { useState } from 'react';
import { askPermission, canAskPermission } from '../lib/notifications';

export function NotificationsButton() {
  const [askable, setAskable] = useState(canAskPermission);
  if (!askable) return null;
  return (
    <section className="panel notifications" aria-label="Notifications">
      <button
        type="button"
        className="button button--small"
        onClick={() => {
          void askPermission().finally(() => setAskable(canAskPermission()));
        }}
      >
        Enable notifications
      </button>
      <p className="panel__hint">Get a notification when someone mentions you while this tab is hidden.</p>
    </section>
  );
}
