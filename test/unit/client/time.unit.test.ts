import { messageTimeFormats, messageTimeLabel } from '../../../node/client/lib/time';

// Local-time constructors: the rule is about the reader's calendar day, whatever the machine's time zone.
const now = new Date(2026, 10, 25, 15, 30);
const formats = messageTimeFormats('en-US');

describe('the time next to a message', () => {
  it('is only the time for a message from today', () => {
    expect(messageTimeLabel(new Date(2026, 10, 25, 0, 5), now, formats)).toBe('12:05 AM');
  });

  it('names the day for an older message this year, also when it was the same time yesterday', () => {
    expect(messageTimeLabel(new Date(2026, 10, 24, 15, 30), now, formats)).toBe('Nov 24, 3:30 PM');
    expect(messageTimeLabel(new Date(2026, 9, 25, 9, 0), now, formats)).toBe('Oct 25, 9:00 AM');
  });

  it('names the year for a message from another year', () => {
    expect(messageTimeLabel(new Date(2025, 10, 25, 15, 30), now, formats)).toBe('Nov 25, 2025, 3:30 PM');
  });
});

describe('the time in a 24-hour locale', () => {
  it('keeps the locale’s own form', () => {
    expect(messageTimeLabel(new Date(2026, 10, 25, 9, 5), now, messageTimeFormats('en-GB'))).toBe('09:05');
  });
});
