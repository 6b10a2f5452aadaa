/**
 * The time shown next to a message. Today's messages show only the time; older ones the day too,
 * so a page of last week's history is not mistaken for this morning's.
 */
export interface MessageTimeFormats {
  time: Intl.DateTimeFormat;
  dayAndTime: Intl.DateTimeFormat;
  dateAndTime: Intl.DateTimeFormat;
  /** The full moment, for the tooltip. */
  full: Intl.DateTimeFormat;
}

/** `locale` undefined: the browser's own, as the reader expects; tests pass one to be exact. */
export function messageTimeFormats(locale?: string): MessageTimeFormats {
  // The locale's own clock: "9:05 AM" on a 12-hour one, "09:05" on a 24-hour one.
  const twelveHours = new Intl.DateTimeFormat(locale, { timeStyle: 'short' }).resolvedOptions().hour12 === true;
  const clock = { hour: twelveHours ? 'numeric' : '2-digit', minute: '2-digit' } as const;
  return {
    time: new Intl.DateTimeFormat(locale, clock),
    dayAndTime: new Intl.DateTimeFormat(locale, { month: 'short', day: 'numeric', ...clock }),
    dateAndTime: new Intl.DateTimeFormat(locale, { year: 'numeric', month: 'short', day: 'numeric', ...clock }),
    full: new Intl.DateTimeFormat(locale, { dateStyle: 'full', timeStyle: 'short' }),
  };
}

/** In the reader's time zone: "today" is their calendar day, not UTC's. */
export function messageTimeLabel(created: Date, now: Date, formats: MessageTimeFormats): string {
  if (created.getFullYear() !== now.getFullYear()) return formats.dateAndTime.format(created);
  if (created.getMonth() !== now.getMonth() || created.getDate() !== now.getDate()) return formats.dayAndTime.format(created);
  return formats.time.format(created);
}
