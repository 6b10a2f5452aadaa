/**
 * Two people in two browsers (Debian's chromium) against the real server: they register, chat, share a private room,
 * start a direct message, edit and delete messages, mention each other (a hidden tab gets a notification, for a mention and for a
 * direct message), page back through history, search and open an old message in its room, one uploads an avatar
 * that the other sees, one drops off and comes back.
 * Screenshots go to test-results/ (chat.png, chat-search.png and chat-formatting.png at desktop width, chat-phone*.png
 * and chat-formatting-phone.png at 390 px, chat-xss.png, one per step such as chat-edit-delete.png, chat-dm.png,
 * chat-private.png and chat-mention.png).
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { Browser, BrowserContext, ConsoleMessage, Page, WebSocketRoute } from 'playwright-core';
import { newUser, type TestUser } from '../support/client';
import { ROOT } from '../support/resources';
import { startTestServer, type TestServer } from '../support/server';
import { waitFor } from '../support/wait';
import { lettersAndDigits, RENDERED_ELEMENTS, XSS_PAYLOADS } from '../support/xss';
import { ensureClientBuild, launchChromium, makePng } from './support';

const RESULTS = path.join(ROOT, 'test-results');
const DESKTOP = { width: 1280, height: 800 };
const PHONE = { width: 390, height: 844 };

let server: TestServer;
let browser: Browser;
let contextA: BrowserContext;
let contextB: BrowserContext;
let pageA: Page;
let pageB: Page;
const alice: TestUser = newUser('alice');
const bob: TestUser = newUser('bob');

const cspViolations: string[] = [];
const pageErrors: string[] = [];
/** alert(), confirm() or prompt() calls: a payload's script that ran would show one. */
const dialogs: string[] = [];
const isCspViolation = (message: ConsoleMessage) => message.type() === 'error' && /Content Security Policy/i.test(message.text());

function watch(page: Page, who: string): Page {
  page.on('console', (message) => {
    if (isCspViolation(message)) cspViolations.push(`${who}: ${message.text()}`);
  });
  page.on('pageerror', (error) => pageErrors.push(`${who}: ${error.message}`));
  page.on('dialog', (dialog) => {
    dialogs.push(`${who}: ${dialog.type()} ${dialog.message()}`);
    void dialog.dismiss();
  });
  return page;
}

/** Playwright's WebSocket routing stands in for the network between A's browser and the server. */
let networkDownForA = false;
let refusedAttempts = 0;
const socketsOfA: WebSocketRoute[] = [];

async function openChat(context: BrowserContext, who: string): Promise<Page> {
  const page = watch(await context.newPage(), who);
  const response = await page.goto(server.url);
  // The policy the page runs under: without it, "no CSP violation" below would prove nothing.
  const policy = response?.headers()['content-security-policy'] ?? '';
  expect(policy).toContain("default-src 'self'");
  expect(policy).toContain("style-src 'self'");
  return page;
}

async function registerThroughForm(page: Page, user: TestUser): Promise<void> {
  await page.getByRole('tab', { name: 'Register' }).click();
  await page.getByLabel('Username').fill(user.username);
  await page.getByLabel('E-mail').fill(user.email);
  await page.getByLabel('Password').fill(user.password);
  await page.getByRole('button', { name: 'Create account' }).click();
}

function composer(page: Page) {
  return page.locator('textarea.composer__input');
}

/** Alice's network goes down: her sockets are closed and every reconnection attempt fails until networkDownForA is false. */
async function cutNetworkOfA(): Promise<void> {
  networkDownForA = true;
  await Promise.all(socketsOfA.splice(0).map((socket) => socket.close({ code: 3001, reason: 'network down (test)' }).catch(() => undefined)));
  await pageA.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor();
}

async function say(page: Page, text: string): Promise<void> {
  await composer(page).fill(text);
  await composer(page).press('Enter');
}

function bodies(page: Page, text: string) {
  return page.locator('.message__body').filter({ hasText: text });
}

beforeAll(async () => {
  await Promise.all([ensureClientBuild(), mkdir(RESULTS, { recursive: true })]);
  server = await startTestServer();
  browser = await launchChromium();
  contextA = await browser.newContext({ viewport: DESKTOP });
  contextB = await browser.newContext({ viewport: DESKTOP });
  await contextA.routeWebSocket(/\/socket\.io\//, (socket) => {
    if (networkDownForA) {
      refusedAttempts += 1;
      // The connection drops before the handshake completes; the client gives up on it after its connect timeout.
      const upstream = socket.connectToServer();
      upstream.onMessage(() => {
        void socket.close({ code: 3001, reason: 'network down (test)' }).catch(() => undefined);
        void upstream.close().catch(() => undefined);
      });
      return;
    }
    socketsOfA.push(socket, socket.connectToServer());
  });
  // The long-polling fallback must not get through the "network down" either.
  await contextA.route(/\/socket\.io\/.*transport=polling/, (route) => (networkDownForA ? route.abort('internetdisconnected') : route.continue()));
  pageA = await openChat(contextA, 'A');
  pageB = await openChat(contextB, 'B');
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.stop();
});

describe('two people chatting in the browser', () => {
  it('registers both through the form, shows the server’s error for a taken name, and puts both in general', async () => {
    // The form has the focus on arrival: typing starts with the name.
    await pageA.getByLabel('Username').waitFor();
    expect(await pageA.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('username');
    await registerThroughForm(pageA, alice);
    await pageA.getByRole('heading', { name: '# general' }).waitFor();

    await registerThroughForm(pageB, { ...bob, username: alice.username });
    await pageB.getByRole('alert').filter({ hasText: 'this username is taken' }).waitFor();

    // The refusal was about the old name: it goes as soon as the name is edited.
    await pageB.getByLabel('Username').fill(bob.username);
    expect(await pageB.getByRole('alert').count()).toBe(0);
    await pageB.getByRole('button', { name: 'Create account' }).click();
    await pageB.getByRole('heading', { name: '# general' }).waitFor();

    // Who is online: each sees the other.
    await pageA.locator('.online__name', { hasText: bob.username }).waitFor();
    await pageB.locator('.online__name', { hasText: alice.username }).waitFor();
  });

  it('shows HTML-looking text as text, never as markup', async () => {
    const html = '<img src=x onerror="window.__pwned=1"><b>bold</b> & <script>window.__pwned=2</script>';
    await say(pageA, html);
    const received = bodies(pageB, '<b>bold</b>');
    await received.waitFor();
    expect(await received.textContent()).toBe(html);
    // One paragraph of text, nothing else.
    expect(await received.locator('*').evaluateAll((elements) => elements.map((element) => element.tagName))).toEqual(['P']);
    expect(await pageB.evaluate(() => 'pwned' in window || '__pwned' in window)).toBe(false);
  });

  it('formats Markdown (emphasis, code, quotes, lists, http(s) links) and keeps long code lines inside their block at phone width', async () => {
    const longLine = `const line = '${'x'.repeat(240)}';`;
    await say(pageA, '**bold**, *italic*, ~~struck~~ and `inline code`');
    await say(pageA, '> a quote with [a link](https://example.com/docs)\n\nand the reply');
    await say(pageA, '- first\n- second\n\n1. one\n2. two');
    await say(pageA, `\`\`\`\n${longLine}\n\`\`\``);
    await say(pageA, '# not a heading, [not a link](javascript:alert(1))');
    await bodies(pageB, 'not a heading').waitFor();

    const emphasis = bodies(pageB, 'bold, italic, struck and inline code');
    expect(await emphasis.locator('p > strong').textContent()).toBe('bold');
    expect(await emphasis.locator('p > em').textContent()).toBe('italic');
    expect(await emphasis.locator('p > s').textContent()).toBe('struck');
    expect(await emphasis.locator('p > code').textContent()).toBe('inline code');
    const quote = bodies(pageB, 'a quote with a link');
    expect(await quote.locator('blockquote').textContent()).toBe('a quote with a link');
    const link = quote.locator('blockquote a');
    expect(await link.getAttribute('href')).toBe('https://example.com/docs');
    expect(await link.getAttribute('target')).toBe('_blank');
    expect(await link.getAttribute('rel')).toBe('noopener noreferrer nofollow');
    const lists = bodies(pageB, 'firstsecond');
    expect(await lists.locator('ul > li').allTextContents()).toEqual(['first', 'second']);
    expect(await lists.locator('ol > li').allTextContents()).toEqual(['one', 'two']);
    const code = bodies(pageB, longLine).locator('pre > code');
    expect(await code.textContent()).toBe(longLine);
    const plain = bodies(pageB, 'not a heading');
    expect(await plain.textContent()).toBe('# not a heading, [not a link](javascript:alert(1))');
    expect(await plain.locator('h1, a').count()).toBe(0);
    await pageB.screenshot({ path: path.join(RESULTS, 'chat-formatting.png') });

    await pageB.setViewportSize(PHONE);
    await pageB.waitForFunction(() => (document.querySelector('.sidebar')?.getBoundingClientRect().right ?? 1) <= 0);
    expect(await pageB.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(await pageB.locator('.messages').evaluate((list) => list.scrollWidth - list.clientWidth)).toBe(0);
    // The long line scrolls inside its own block, which stays within the message.
    const block = bodies(pageB, longLine).locator('pre');
    expect(await block.evaluate((pre) => pre.scrollWidth > pre.clientWidth && pre.getBoundingClientRect().right <= window.innerWidth)).toBe(true);
    await pageB.screenshot({ path: path.join(RESULTS, 'chat-formatting-phone.png') });
    await pageB.setViewportSize(DESKTOP);
  });

  it('keeps every payload of OWASP’s XSS filter evasion cheat sheet inert and shows it as text, even for a reader without the CSP', async () => {
    const room = `x${Date.now().toString(36)}`;
    await pageA.getByLabel('New room name').fill(room);
    await pageA.getByRole('button', { name: 'Create' }).click();
    await pageA.getByRole('heading', { name: `# ${room}` }).waitFor();
    // This reader's browser ignores the page's Content-Security-Policy: what keeps the payloads inert there is the rendering alone.
    const context = await browser.newContext({ viewport: DESKTOP, bypassCSP: true });
    const reader = await openChat(context, 'D');
    await registerThroughForm(reader, newUser('dave'));
    await reader.locator('.rooms__item', { hasText: `# ${room}` }).getByRole('button', { name: 'Join' }).click();
    await reader.getByRole('heading', { name: `# ${room}` }).waitFor();
    const readerUrl = reader.url();

    for (const payload of XSS_PAYLOADS) {
      await say(pageA, payload);
      // Below the server's sustained rate of 5 messages a second, so none is refused.
      await pageA.waitForTimeout(200);
    }
    const allStored = (count: number) => document.querySelectorAll('.message:not(.message--pending):not(.message--failed) .message__body').length === count;
    await pageA.waitForFunction(allStored, XSS_PAYLOADS.length);
    await reader.waitForFunction(allStored, XSS_PAYLOADS.length);

    for (const page of [pageA, reader]) {
      const rendered = await page.evaluate(() => {
        const list = document.querySelector('.messages');
        const elements = [...document.querySelectorAll('.message__body *')];
        return {
          texts: [...document.querySelectorAll('.message__body')].map((body) => body.textContent ?? ''),
          elements: elements.map((element) => ({ tag: element.tagName.toLowerCase(), attributes: element.getAttributeNames() })),
          links: [...document.querySelectorAll('.messages a')].map((link) => `${link.getAttribute('href')} ${link.getAttribute('target')} ${link.getAttribute('rel')}`),
          handlers: [...document.querySelectorAll('*')].flatMap((element) => element.getAttributeNames().filter((name) => name.toLowerCase().startsWith('on'))),
          active: [...(list?.querySelectorAll('script, style, link, meta, base, iframe, frame, object, embed, svg, math, form, input, video, audio, img:not(.avatar)') ?? [])].map(
            (element) => element.outerHTML,
          ),
        };
      });
      expect(rendered.texts.map(lettersAndDigits)).toEqual(XSS_PAYLOADS.map(lettersAndDigits));
      for (const { tag, attributes } of rendered.elements) {
        expect(Object.keys(RENDERED_ELEMENTS)).toContain(tag);
        expect(RENDERED_ELEMENTS[tag]).toEqual(expect.arrayContaining(attributes));
      }
      for (const link of rendered.links) expect(link).toMatch(/^https?:\/\/\S+ _blank noopener noreferrer nofollow$/);
      expect(rendered.handlers).toEqual([]);
      expect(rendered.active).toEqual([]);
    }
    // The payloads include http(s) links, which stay links: the check above had some to look at.
    expect(await reader.locator('.message__body a').count()).toBeGreaterThan(0);
    expect(dialogs).toEqual([]);
    expect(reader.url()).toBe(readerUrl);
    expect(await reader.evaluate(() => document.querySelectorAll('base, meta[http-equiv]').length)).toBe(0);
    await reader.screenshot({ path: path.join(RESULTS, 'chat-xss.png') });
    await context.close();
    await pageA.locator('.rooms__open', { hasText: '# general' }).click();
    await pageA.getByRole('heading', { name: '# general' }).waitFor();
  }, 180_000);

  it('sends on Enter, breaks the line on Shift+Enter, and shows a typing line that expires', async () => {
    await composer(pageA).click();
    await pageA.keyboard.type('first line');
    await pageB.locator('.typing', { hasText: `${alice.username} is typing…` }).waitFor();
    await pageA.keyboard.press('Shift+Enter');
    await pageA.keyboard.type('second line');
    await pageA.keyboard.press('Enter');
    await bodies(pageB, 'second line').waitFor();
    expect(await bodies(pageB, 'second line').textContent()).toBe('first line\nsecond line');
    expect(await composer(pageA).inputValue()).toBe('');
    // Own messages are marked as such on the author's side only.
    expect(await pageA.locator('.message--own', { hasText: 'second line' }).count()).toBe(1);
    expect(await pageA.locator('.message--own').getByText('(you)').count()).toBeGreaterThan(0);
    expect(await pageB.locator('.message--own').count()).toBe(0);

    // A click on Send leaves the focus in the message box, ready for the next one.
    await composer(pageA).fill('sent with the button');
    await pageA.getByRole('button', { name: 'Send' }).click();
    await bodies(pageB, 'sent with the button').waitFor();
    expect(await pageA.evaluate(() => document.activeElement?.classList.contains('composer__input'))).toBe(true);

    // Typing without sending: the line appears, then goes away by itself.
    // Slowly, as people type: the client tells the server at most every couple of seconds.
    await pageA.keyboard.type('never sent', { delay: 350 });
    await pageB.locator('.typing', { hasText: 'is typing' }).waitFor();
    await pageB.locator('.typing', { hasText: 'is typing' }).waitFor({ state: 'detached', timeout: 15_000 });
    await composer(pageA).fill('');
  });

  it('one edits a message and deletes another: both change live, for the other too, and stay so after a reload', async () => {
    await say(pageA, 'to be edited, with a tpyo');
    await say(pageA, 'to be deleted: a secret');
    await bodies(pageB, 'to be deleted: a secret').waitFor();
    const messageOf = (page: Page, id: string) => page.locator(`.message[data-id="${id}"]`);
    const editedId = (await pageA.locator('.message', { hasText: 'with a tpyo' }).getAttribute('data-id')) ?? '';
    const deletedId = (await pageA.locator('.message', { hasText: 'a secret' }).getAttribute('data-id')) ?? '';
    // The other person may change neither: general has no owner, and the messages are not theirs.
    expect(await messageOf(pageB, editedId).getByRole('button').count()).toBe(0);

    // From the keyboard: Enter on Edit opens the editor with the focus in it; Escape cancels and gives the focus back.
    const editButton = messageOf(pageA, editedId).getByRole('button', { name: 'Edit message' });
    await editButton.focus();
    await editButton.press('Enter');
    const editor = pageA.getByRole('textbox', { name: 'Edit message' });
    await editor.waitFor();
    expect(await editor.evaluate((element) => element === document.activeElement)).toBe(true);
    await editor.press('Escape');
    await editor.waitFor({ state: 'detached' });
    await pageA.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Edit message');
    expect(await messageOf(pageA, editedId).locator('.message__body').textContent()).toBe('to be edited, with a tpyo');

    // Enter saves: both see the new text marked "(edited)".
    await editButton.press('Enter');
    await editor.fill('edited, without a typo');
    await pageA.screenshot({ path: path.join(RESULTS, 'chat-editing.png') });
    await editor.press('Enter');
    await editor.waitFor({ state: 'detached' });
    for (const page of [pageA, pageB]) {
      await messageOf(page, editedId).locator('.message__body', { hasText: /^edited, without a typo$/ }).waitFor();
      await messageOf(page, editedId).getByText('(edited)').waitFor();
    }

    // Delete asks first; Keep changes nothing, Delete leaves a placeholder for both.
    await messageOf(pageA, deletedId).getByRole('button', { name: 'Delete message by you' }).click();
    const confirm = messageOf(pageA, deletedId).getByRole('group', { name: 'Confirm delete' });
    await confirm.getByRole('button', { name: 'Keep' }).click();
    await confirm.waitFor({ state: 'detached' });
    expect(await bodies(pageA, 'to be deleted: a secret').count()).toBe(1);
    await messageOf(pageA, deletedId).getByRole('button', { name: 'Delete message by you' }).click();
    await confirm.getByRole('button', { name: 'Delete' }).click();
    for (const page of [pageA, pageB]) {
      await messageOf(page, deletedId).locator('.message__body--deleted', { hasText: 'message deleted' }).waitFor();
      expect(await bodies(page, 'a secret').count()).toBe(0);
    }
    expect(await messageOf(pageA, deletedId).getByRole('button').count()).toBe(0);
    await pageB.screenshot({ path: path.join(RESULTS, 'chat-edit-delete.png') });

    // After a reload the history says the same.
    await pageB.reload();
    await messageOf(pageB, editedId).getByText('(edited)').waitFor();
    await messageOf(pageB, deletedId).locator('.message__body--deleted').waitFor();
    expect(await messageOf(pageB, editedId).locator('.message__body').textContent()).toBe('edited, without a typo');
    expect(await bodies(pageB, 'a secret').count()).toBe(0);
    await pageB.locator('.online__name', { hasText: alice.username }).waitFor();
  });

  it('creates, joins and leaves rooms with member counts', async () => {
    const room = `r${Date.now().toString(36)}`;
    await composer(pageA).fill('a draft for general');
    await pageA.getByLabel('New room name').fill(room);
    await pageA.getByRole('button', { name: 'Create' }).click();
    await pageA.getByRole('heading', { name: `# ${room}` }).waitFor();
    // Each room has its own draft: general's does not follow into the new room.
    expect(await composer(pageA).inputValue()).toBe('');

    const otherRoom = pageB.locator('.rooms__item', { hasText: `# ${room}` });
    await otherRoom.filter({ hasText: '1 member' }).waitFor();
    await otherRoom.getByRole('button', { name: 'Join' }).click();
    await pageB.getByRole('heading', { name: `# ${room}` }).waitFor();
    await pageA.locator('.rooms__item', { hasText: `# ${room}` }).filter({ hasText: '2 members' }).waitFor();

    await say(pageA, `hello ${room}`);
    await bodies(pageB, `hello ${room}`).waitFor();
    // A created the room, so owns it: A may delete B's message there (not edit it); B may not touch A's.
    await say(pageB, 'bob oversteps in alice’s room');
    const bobsMessage = pageA.locator('.message', { hasText: 'bob oversteps' });
    expect(await bobsMessage.getByRole('button', { name: 'Edit message' }).count()).toBe(0);
    await bobsMessage.getByRole('button', { name: `Delete message by ${bob.username}` }).click();
    await bobsMessage.getByRole('group', { name: 'Confirm delete' }).getByRole('button', { name: 'Delete' }).click();
    await pageB.locator('.message__body--deleted').waitFor();
    expect(await bodies(pageB, 'bob oversteps').count()).toBe(0);
    expect(await pageB.locator('.message', { hasText: `hello ${room}` }).getByRole('button', { name: /Edit message|Delete message/ }).count()).toBe(0);

    await pageB.getByRole('button', { name: `Leave ${room}` }).click();
    await pageB.getByRole('heading', { name: '# general' }).waitFor();
    await pageA.locator('.rooms__item', { hasText: `# ${room}` }).filter({ hasText: '1 member' }).waitFor();
    await otherRoom.filter({ hasText: '1 member' }).getByRole('button', { name: 'Join' }).waitFor();

    // A is elsewhere: general counts what B says there, in the room list and in the tab's title, until A opens it.
    await say(pageB, 'while alice is in another room');
    await pageA.locator('.rooms__open', { hasText: '# general' }).getByLabel('1 unread').waitFor();
    await pageA.waitForFunction(() => document.title === '(1) Chat');
    await pageA.locator('.rooms__open', { hasText: '# general' }).click();
    await pageA.getByRole('heading', { name: '# general' }).waitFor();
    expect(await pageA.locator('.rooms__open .badge').count()).toBe(0);
    await pageA.waitForFunction(() => document.title === 'Chat');
    expect(await composer(pageA).inputValue()).toBe('a draft for general');
    await composer(pageA).fill('');
  });

  it('two people start a direct message, from the people picker and from a name, and exchange messages in it', async () => {
    const directMessages = (page: Page) => page.getByRole('region', { name: 'Direct messages' });
    // A finds B by the start of the name and starts the conversation.
    await directMessages(pageA).getByRole('button', { name: 'New message' }).click();
    await pageA.getByLabel('Find people').fill(bob.username.slice(0, -2).toUpperCase());
    await pageA.getByRole('list', { name: 'People found' }).getByRole('button', { name: bob.username }).click();
    await pageA.getByRole('list', { name: 'Picked people' }).getByText(bob.username).waitFor();
    await directMessages(pageA).getByRole('button', { name: 'Start' }).click();
    await pageA.getByRole('heading', { name: `@ ${bob.username}` }).waitFor();
    expect(await composer(pageA).getAttribute('placeholder')).toBe(`Message @${bob.username}`);
    await say(pageA, 'just between us');

    // B sees it appear live in the sidebar, titled by A's name, apart from the rooms, with the message unread.
    const conversationOfB = directMessages(pageB).locator('.rooms__open', { hasText: `@ ${alice.username}` });
    await conversationOfB.getByLabel('1 unread').waitFor();
    expect(await pageB.getByRole('region', { name: 'Rooms' }).getByText(alice.username).count()).toBe(0);
    // A click on A's name in the online list opens the same conversation: one per pair.
    await pageB.locator('.online').getByRole('button', { name: alice.username }).click();
    await pageB.getByRole('heading', { name: `@ ${alice.username}` }).waitFor();
    await bodies(pageB, 'just between us').waitFor();
    expect(await directMessages(pageB).locator('.rooms__open').count()).toBe(1);
    await say(pageB, 'agreed, nobody else hears this');
    await bodies(pageA, 'agreed, nobody else hears this').waitFor();
    await pageA.screenshot({ path: path.join(RESULTS, 'chat-dm.png') });

    for (const page of [pageA, pageB]) {
      await page.locator('.rooms__open', { hasText: '# general' }).click();
      await page.getByRole('heading', { name: '# general' }).waitFor();
    }
    // Nothing of it was said in general.
    expect(await bodies(pageA, 'just between us').count()).toBe(0);
    // What A read in the conversation is marked read on the server, though A went back to general at once.
    await waitFor(async () => {
      const { rows } = await server.db.query<{ read: boolean }>(
        `SELECT rm.last_read_id >= (SELECT max(m.id) FROM messages m WHERE m.room_id = r.id) AS read
           FROM room_members rm JOIN users u ON u.id = rm.user_id JOIN rooms r ON r.id = rm.room_id
          WHERE u.username = $1 AND r.kind = 'direct'`,
        [alice.username],
      );
      return rows[0]?.read === true;
    });
  });

  it('a private room stays hidden from the other until its owner invites them from the members panel, and goes when they are removed', async () => {
    // A fresh connection: the steps before used most of this socket's room changes (a burst of 5, then one per 2 s),
    // and this step and the next two make five more.
    await pageA.reload();
    await pageA.getByRole('heading', { name: '# general' }).waitFor();
    const room = `p${Date.now().toString(36)}`;
    await pageA.getByLabel('New room name').fill(room);
    await pageA.getByLabel('Private: invited people only').check();
    await pageA.getByRole('button', { name: 'Create' }).click();
    await pageA.getByRole('heading', { name: `🔒 ${room}` }).waitFor();
    const panel = pageA.getByRole('region', { name: `Members of ${room}` });
    await panel.locator('.members__user', { hasText: alice.username }).waitFor();
    expect(await pageB.locator('.rooms__item', { hasText: room }).count()).toBe(0);

    // A finds B by the start of the name and invites them: the panel lists B at once, and B's sidebar gets the room.
    await panel.getByLabel(`Invite to ${room}`).fill(bob.username.slice(0, -2));
    await panel.getByRole('list', { name: 'People found' }).getByRole('button', { name: bob.username }).click();
    await panel.locator('.members__user', { hasText: bob.username }).waitFor();
    const roomOfB = pageB.locator('.rooms__open', { hasText: `🔒 ${room}` });
    await roomOfB.click();
    await pageB.getByRole('heading', { name: `🔒 ${room}` }).waitFor();
    await say(pageA, 'only for the invited');
    await bodies(pageB, 'only for the invited').waitFor();
    await pageA.screenshot({ path: path.join(RESULTS, 'chat-private.png') });

    // Removed, B loses the room at once and is back in general; the panel no longer lists B.
    await panel.getByRole('button', { name: `Remove ${bob.username}` }).click();
    await roomOfB.waitFor({ state: 'detached' });
    await pageB.getByRole('heading', { name: '# general' }).waitFor();
    await panel.locator('.members__user', { hasText: bob.username }).waitFor({ state: 'detached' });
    await pageA.locator('.rooms__open', { hasText: '# general' }).click();
    await pageA.getByRole('heading', { name: '# general' }).waitFor();
  });

  it('one mentions the other, whose hidden tab gets a notification (and one for a direct message), a mention badge and a "new" divider', async () => {
    // Permission is the reader's to give, by a click: the button offers it; nothing asked on load.
    await pageB.getByRole('button', { name: 'Enable notifications' }).waitFor();
    // Granted here instead of through the browser's prompt; every `new Notification` is recorded.
    await contextB.grantPermissions(['notifications'], { origin: server.url });
    await contextB.addInitScript(() => {
      const shown: { title: string; body: string | undefined }[] = [];
      const Original = window.Notification;
      function RecordingNotification(title: string, options?: NotificationOptions) {
        shown.push({ title, body: options?.body });
      }
      Object.defineProperty(RecordingNotification, 'permission', { get: () => Original.permission });
      Object.assign(window, { Notification: RecordingNotification, shownNotifications: shown });
    });
    await pageB.reload();
    await pageB.getByRole('heading', { name: '# general' }).waitFor();
    await pageB.locator('.online__name', { hasText: alice.username }).waitFor();
    expect(await pageB.getByRole('button', { name: 'Enable notifications' }).count()).toBe(0);

    // B's tab goes to the background.
    await pageB.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'hidden' });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => true });
      document.dispatchEvent(new Event('visibilitychange'));
    });

    // A types `@` and the start of B's name: the members are suggested; Enter takes the one chosen.
    await composer(pageA).fill('');
    await composer(pageA).pressSequentially(`the deploy is done, @${bob.username.slice(0, 5)}`);
    const suggestion = pageA.getByRole('option', { name: bob.username });
    await suggestion.waitFor();
    expect(await pageA.getByRole('option', { name: alice.username }).count()).toBe(0);
    await pageA.screenshot({ path: path.join(RESULTS, 'chat-mention-suggestions.png') });
    await composer(pageA).press('Enter');
    await suggestion.waitFor({ state: 'detached' });
    expect(await composer(pageA).inputValue()).toBe(`the deploy is done, @${bob.username} `);
    await composer(pageA).pressSequentially('have a look `@not-a-mention`');
    await composer(pageA).press('Enter');

    // B's hidden tab shows a notification: who, where, and the text without its Markdown.
    await pageB.waitForFunction(() => (window as unknown as { shownNotifications: unknown[] }).shownNotifications.length > 0);
    expect(await pageB.evaluate(() => (window as unknown as { shownNotifications: unknown[] }).shownNotifications)).toEqual([
      { title: `${alice.username} in #general`, body: `the deploy is done, @${bob.username} have a look @not-a-mention` },
    ]);
    // The room counts it, as unread and as a mention, though it is open: nobody is looking.
    const general = pageB.locator('.rooms__open', { hasText: '# general' });
    await general.getByLabel('1 mentioning you').waitFor();
    await general.getByLabel('1 unread').waitFor();
    await pageB.screenshot({ path: path.join(RESULTS, 'chat-mention-hidden.png') });

    // A direct message notifies the hidden tab too, mention or not, titled by its sender alone.
    const shown = () => pageB.evaluate(() => (window as unknown as { shownNotifications: unknown[] }).shownNotifications);
    await pageA.locator('.rooms__open', { hasText: `@ ${bob.username}` }).click();
    await pageA.getByRole('heading', { name: `@ ${bob.username}` }).waitFor();
    await say(pageA, 'and a word in private');
    await pageB.waitForFunction(() => (window as unknown as { shownNotifications: unknown[] }).shownNotifications.length > 1);
    expect((await shown())[1]).toEqual({ title: alice.username, body: 'and a word in private' });
    await pageA.locator('.rooms__open', { hasText: '# general' }).click();
    await pageA.getByRole('heading', { name: '# general' }).waitFor();

    // Back to the tab: a "new" divider above the message, the mention of B highlighted, and the room marked read.
    await pageB.evaluate(() => {
      Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => 'visible' });
      Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
      document.dispatchEvent(new Event('visibilitychange'));
    });
    const divider = pageB.getByRole('separator', { name: 'New messages' });
    await divider.waitFor();
    const mentionMessage = pageB.locator('.message', { hasText: 'the deploy is done' });
    expect(await divider.evaluate((element, id) => element.nextElementSibling?.getAttribute('data-id') === id, await mentionMessage.getAttribute('data-id'))).toBe(true);
    expect(await mentionMessage.locator('.mention--self').textContent()).toBe(`@${bob.username}`);
    expect(await mentionMessage.locator('code').textContent()).toBe('@not-a-mention');
    expect(await general.locator('.badge').count()).toBe(0);
    await pageB.screenshot({ path: path.join(RESULTS, 'chat-mention.png') });

    // Marked read on the server (the client tells it in the background): after a reload nothing is unread.
    const mentionId = Number(await mentionMessage.getAttribute('data-id'));
    await waitFor(async () => {
      const { rows } = await server.db.query<{ last_read_id: string }>(
        "SELECT rm.last_read_id FROM room_members rm JOIN users u ON u.id = rm.user_id JOIN rooms r ON r.id = rm.room_id WHERE u.username = $1 AND r.name = 'general'",
        [bob.username],
      );
      return Number(rows[0]?.last_read_id) >= mentionId;
    });
    await pageB.reload();
    await pageB.getByRole('heading', { name: '# general' }).waitFor();
    await bodies(pageB, 'the deploy is done').waitFor();
    expect(await general.locator('.badge').count()).toBe(0);
    expect(await pageB.getByRole('separator', { name: 'New messages' }).count()).toBe(0);
  });

  it('loads older history while scrolling up and keeps the reader’s place', async () => {
    const room = `h${Date.now().toString(36)}`;
    await pageA.getByLabel('New room name').fill(room);
    await pageA.getByRole('button', { name: 'Create' }).click();
    await pageA.getByRole('heading', { name: `# ${room}` }).waitFor();
    await server.db.query(
      `INSERT INTO messages (room_id, user_id, client_id, body)
       SELECT r.id, u.id, 'seed-' || n, 'old message ' || n
         FROM rooms r, users u, generate_series(1, 130) AS n
        WHERE r.name = $1 AND u.username = $2 ORDER BY n`,
      [room, alice.username],
    );

    await pageB.locator('.rooms__item', { hasText: `# ${room}` }).getByRole('button', { name: 'Join' }).click();
    await bodies(pageB, 'old message 130').waitFor();
    const list = pageB.locator('.messages');
    const oldestShown = async () => Number((await pageB.locator('.message__body').first().textContent())?.replace('old message ', ''));
    expect(await oldestShown()).toBeGreaterThan(1);

    // Where the oldest shown message sits in the list's content: once the page above it arrives, the list
    // must show it at the same place on screen as when the reader scrolled to the top.
    const firstBefore = await oldestShown();
    const anchor = bodies(pageB, `old message ${firstBefore}`);
    const positionInList = () =>
      anchor.evaluate((element) => {
        const scroller = element.closest('.messages');
        return element.getBoundingClientRect().top - (scroller?.getBoundingClientRect().top ?? 0);
      });
    const atTop = (await positionInList()) + (await list.evaluate((element) => element.scrollTop));
    await list.evaluate((element) => {
      element.scrollTop = 0;
    });
    await pageB.waitForFunction((first) => document.querySelector('.message__body')?.textContent !== `old message ${first}`, firstBefore);
    expect(await oldestShown()).toBeLessThan(firstBefore);
    expect(Math.abs((await positionInList()) - atTop)).toBeLessThan(3);

    // All the way up: every message once, in order, and the start of the room.
    for (let attempt = 0; attempt < 10 && (await oldestShown()) !== 1; attempt += 1) {
      await list.evaluate((element) => {
        element.scrollTop = 0;
      });
      await pageB.waitForTimeout(300);
    }
    await pageB.getByText(`This is the beginning of #${room}.`).waitFor();
    const shown = await pageB.locator('.message__body').allTextContents();
    expect(shown).toEqual(Array.from({ length: 130 }, (_, index) => `old message ${index + 1}`));

    // A reader up in the history stays where they are when a message arrives, and is offered a way down to it.
    const readingAt = await list.evaluate((element) => element.scrollTop);
    await say(pageA, 'news below');
    const jump = pageB.getByRole('button', { name: 'New messages ↓' });
    await jump.waitFor();
    expect(await list.evaluate((element) => element.scrollTop)).toBe(readingAt);
    await jump.click();
    await jump.waitFor({ state: 'detached' });
    expect(await list.evaluate((element) => element.scrollHeight - element.scrollTop - element.clientHeight)).toBeLessThan(2);
    await pageB.locator('.rooms__open', { hasText: '# general' }).click();
    await pageA.locator('.rooms__open', { hasText: '# general' }).click();
  });

  it('a search finds an old message and opens it in place', async () => {
    const room = `s${Date.now().toString(36)}`;
    await pageA.getByLabel('New room name').fill(room);
    await pageA.getByRole('button', { name: 'Create' }).click();
    await pageA.getByRole('heading', { name: `# ${room}` }).waitFor();
    // An old message well before the first page of history (50), with HTML in it, among 120 others.
    const found = 'the <b>quokka</b> & <img src=x onerror="window.__pwned=3"> migration plan is ready';
    await server.db.query(
      `INSERT INTO messages (room_id, user_id, client_id, body)
       SELECT r.id, u.id, 'search-' || n, CASE WHEN n = 41 THEN $3 ELSE 'filler ' || n END
         FROM rooms r, users u, generate_series(1, 121) AS n
        WHERE r.name = $1 AND u.username = $2 ORDER BY n`,
      [room, alice.username, found],
    );
    await pageA.locator('.rooms__open', { hasText: '# general' }).click();
    // B joins (and so may read it), then goes back to general and searches from there.
    await pageB.locator('.rooms__item', { hasText: `# ${room}` }).getByRole('button', { name: 'Join' }).click();
    await bodies(pageB, 'filler 121').waitFor();
    await pageB.locator('.rooms__open', { hasText: '# general' }).click();

    await pageB.getByLabel('Search messages').fill('quokka migrations');
    await pageB.getByLabel('Search messages').press('Enter');
    const hit = pageB.locator('.search__hit').filter({ hasText: `#${room}` });
    await hit.waitFor();
    const snippet = hit.locator('.search__snippet');
    // The text as typed, the matched words (any form of them) marked, and no element from the message's HTML.
    expect(await snippet.textContent()).toBe(found);
    expect(await snippet.locator('mark').allTextContents()).toEqual(['quokka', 'migration']);
    expect(await snippet.locator('b, img').count()).toBe(0);

    await hit.click();
    await pageB.getByRole('heading', { name: `# ${room}` }).waitFor();
    const focused = pageB.locator('.message--focused');
    await focused.waitFor();
    expect(await focused.locator('.message__body').textContent()).toBe(found);
    // With its neighbours, and in view.
    await bodies(pageB, 'filler 40').waitFor();
    await bodies(pageB, 'filler 42').waitFor();
    expect(await bodies(pageB, 'filler 121').count()).toBe(0);
    const visible = await focused.evaluate((element) => {
      const list = element.closest('.messages')?.getBoundingClientRect();
      const box = element.getBoundingClientRect();
      return list !== undefined && box.top >= list.top && box.bottom <= list.bottom;
    });
    expect(visible).toBe(true);
    expect(await pageB.evaluate(() => '__pwned' in window)).toBe(false);
    await pageB.screenshot({ path: path.join(RESULTS, 'chat-search.png') });

    // Back to the latest: the room's newest messages, nothing marked.
    await pageB.getByRole('button', { name: 'Back to the latest messages ↓' }).click();
    await bodies(pageB, 'filler 121').waitFor();
    expect(await focused.count()).toBe(0);
    await pageB.getByRole('button', { name: 'Clear' }).click();
    await pageB.locator('.rooms__open', { hasText: '# general' }).click();
  });

  it('previews and uploads an avatar, and the other person sees it next to the messages', async () => {
    await say(pageB, 'hello from bob');
    await bodies(pageA, 'hello from bob').waitFor();
    const bobsAvatarsOnA = pageA.locator(`.message[data-author="${bob.username}"] img.avatar`);
    expect(await bobsAvatarsOnA.first().getAttribute('src')).toContain('/avatars/default/');

    // Says PNG, is not one: refused at the preview, with a reason, before any upload.
    await pageB.locator('input[name="avatar"]').setInputFiles({ name: 'fake.png', mimeType: 'image/png', buffer: Buffer.from('not an image') });
    await pageB.locator('.profile').getByRole('alert').filter({ hasText: 'not a readable image' }).waitFor();
    expect(await pageB.locator('.profile__preview').count()).toBe(0);

    const png = makePng(64, [47, 111, 222], [255, 196, 0]);
    await pageB.locator('input[name="avatar"]').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: png });
    expect(await pageB.locator('.profile__preview').getAttribute('src')).toMatch(/^blob:/);
    await pageB.getByRole('button', { name: 'Upload' }).click();
    await pageB.locator('.profile__preview').waitFor({ state: 'detached' });
    const ownAvatar = pageB.locator('.profile img[data-user]');
    await pageB.waitForFunction(() => !document.querySelector('.profile img[data-user]')?.getAttribute('src')?.includes('/avatars/default/'));
    const uploadedUrl = (await ownAvatar.getAttribute('src')) ?? '';
    expect(uploadedUrl).not.toMatch(/^blob:/);

    // A learns of it through `user:updated`, without reloading.
    await pageA.waitForFunction(
      ([name, url]) =>
        [...document.querySelectorAll(`.message[data-author="${name}"] img.avatar`)].every((image) => image.getAttribute('src') === url),
      [bob.username, uploadedUrl],
    );
    // It is the uploaded picture: the same bytes, decoded by the browser at its size.
    const served = await pageA.evaluate(async (url) => {
      const response = await fetch(url);
      return { status: response.status, bytes: Array.from(new Uint8Array(await response.arrayBuffer())) };
    }, uploadedUrl);
    expect(served.status).toBe(200);
    expect(Buffer.from(served.bytes).equals(png)).toBe(true);
    await pageA.waitForFunction(
      (name) => {
        const image = document.querySelector<HTMLImageElement>(`.message[data-author="${name}"] img.avatar`);
        return image?.complete && image.naturalWidth === 64;
      },
      bob.username,
    );
  });

  it('shows the server’s refusal on a message and resends it with Retry', async () => {
    // More at once than the server's per-socket message rate allows: some are refused with a reason. Typed while
    // offline, they go out together when the connection is back (all pending messages are resent at once), so the
    // burst does not depend on how fast this machine types.
    await cutNetworkOfA();
    const burst = Array.from({ length: 25 }, (_, index) => `burst ${index}`);
    for (const text of burst) await say(pageA, text);
    networkDownForA = false;
    const refused = pageA.locator('.message--failed');
    await refused.first().waitFor();
    expect(await refused.first().getByRole('alert').textContent()).toMatch(/^Not sent: \S.*Retry Discard$/);
    while ((await refused.count()) > 0) {
      await refused.first().getByRole('button', { name: 'Retry' }).click();
      await pageA.waitForTimeout(250);
    }
    for (const text of burst) await bodies(pageB, text).filter({ hasText: new RegExp(`^${text}$`) }).waitFor();
    const received = (await pageB.locator('.message__body').allTextContents()).filter((text) => text.startsWith('burst '));
    expect(received.sort()).toEqual([...burst].sort());
  });

  it('shows Reconnecting…, keeps what was typed meanwhile pending, and catches up once back', async () => {
    await cutNetworkOfA();

    await say(pageB, 'said while alice was away');
    await bodies(pageB, 'said while alice was away').waitFor();
    await say(pageA, 'written while offline');
    const pending = pageA.locator('.message--pending', { hasText: 'written while offline' });
    await pending.getByText('Sending…').waitFor();
    await pageA.screenshot({ path: path.join(RESULTS, 'chat-reconnecting.png') });

    // At least one reconnection attempt has hit the dead network before it comes back.
    for (let waited = 0; refusedAttempts === 0 && waited < 15_000; waited += 100) await pageA.waitForTimeout(100);
    expect(refusedAttempts).toBeGreaterThan(0);
    networkDownForA = false;
    await pageA.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor({ state: 'detached', timeout: 20_000 });
    await bodies(pageA, 'said while alice was away').waitFor();
    await pending.waitFor({ state: 'detached' });
    await bodies(pageB, 'written while offline').waitFor();
    // Resent with the same clientId after the reconnect: stored and shown once.
    expect(await bodies(pageB, 'written while offline').count()).toBe(1);
    expect(await bodies(pageA, 'said while alice was away').count()).toBe(1);
    const { rows } = await server.db.query<{ count: string }>(`SELECT count(*) FROM messages WHERE body = 'written while offline'`);
    expect(rows[0]?.count).toBe('1');
    // A reader who was at the bottom still is, with the caught-up messages in view.
    await pageA.waitForFunction(() => {
      const list = document.querySelector('.messages');
      return list !== null && list.scrollHeight - list.scrollTop - list.clientHeight < 2;
    });
  });

  it('falls back to HTTP long-polling where WebSockets are broken', async () => {
    const context = await browser.newContext({ viewport: DESKTOP });
    // A proxy that mangles WebSockets: the socket opens, then what arrives is not engine.io.
    await context.routeWebSocket(/\/socket\.io\//, (socket) => {
      socket.send('proxy says no');
      void socket.close({ code: 3002, reason: 'broken proxy (test)' }).catch(() => undefined);
    });
    const pollingRequests: string[] = [];
    context.on('request', (request) => {
      if (request.url().includes('transport=polling')) pollingRequests.push(request.url());
    });
    const pageC = await openChat(context, 'C');
    // The longest name there can be: the phone layout below must still fit it.
    const carol = newUser('carol');
    await registerThroughForm(pageC, { ...carol, username: carol.username.padEnd(32, 'w') });
    await pageC.getByRole('heading', { name: '# general' }).waitFor();
    await pageC.getByRole('status').waitFor({ state: 'detached' });
    await say(pageC, 'hello over long-polling');
    await bodies(pageA, 'hello over long-polling').waitFor();
    expect(pollingRequests.length).toBeGreaterThan(0);
    await context.close();
  });

  it('lays out at desktop and at phone width, where the room list collapses behind a button', async () => {
    await pageA.screenshot({ path: path.join(RESULTS, 'chat.png') });

    await pageB.setViewportSize(PHONE);
    const sidebar = pageB.locator('.sidebar');
    const menu = pageB.getByRole('button', { name: 'Rooms and people' });
    await pageB.waitForFunction(() => {
      const box = document.querySelector('.sidebar')?.getBoundingClientRect();
      return box !== undefined && box.right <= 0;
    });
    expect(await menu.isVisible()).toBe(true);
    // Nothing sticks out sideways at 390 px: not the page, not the messages (a 32-letter name, a 300-letter word).
    await say(pageA, 'w'.repeat(300));
    await bodies(pageB, 'w'.repeat(300)).waitFor();
    expect(await pageB.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(PHONE.width);
    expect(await pageB.locator('.messages').evaluate((list) => list.scrollWidth - list.clientWidth)).toBe(0);
    await pageB.screenshot({ path: path.join(RESULTS, 'chat-phone.png') });

    await menu.click();
    await pageB.waitForFunction(() => (document.querySelector('.sidebar')?.getBoundingClientRect().left ?? -1) >= 0);
    expect(await sidebar.getByText(`# general`).isVisible()).toBe(true);
    await pageB.screenshot({ path: path.join(RESULTS, 'chat-phone-rooms.png') });
    await pageB.locator('.rooms__open', { hasText: '# general' }).click();
    await pageB.waitForFunction(() => (document.querySelector('.sidebar')?.getBoundingClientRect().right ?? 1) <= 0);
    // Closed, its buttons are out of the tab order; opened from the keyboard, it takes the focus; Escape gives it back.
    // (It turns hidden when the slide-out ends.)
    await pageB.waitForFunction(() => {
      const closed = document.querySelector('.sidebar');
      return closed !== null && getComputedStyle(closed).visibility === 'hidden';
    });
    await menu.press('Enter');
    await pageB.waitForFunction(() => document.activeElement?.getAttribute('aria-current') === 'page');
    await pageB.keyboard.press('Escape');
    await pageB.waitForFunction(() => (document.querySelector('.sidebar')?.getBoundingClientRect().right ?? 1) <= 0);
    expect(await menu.evaluate((element) => element === document.activeElement)).toBe(true);
    await pageB.setViewportSize(DESKTOP);
  });

  it('logs out, refuses a wrong password with the server’s message, and logs back in to the history', async () => {
    await pageB.getByRole('button', { name: 'Log out' }).click();
    await pageB.getByRole('tab', { name: 'Log in' }).waitFor();
    await pageB.getByLabel('Username').fill(bob.username);
    await pageB.getByLabel('Password').fill('wrong password!');
    await pageB.getByRole('button', { name: 'Log in' }).last().click();
    const refusal = pageB.getByRole('alert');
    await refusal.waitFor();
    expect((await refusal.textContent())?.length).toBeGreaterThan(0);

    await pageB.getByLabel('Password').fill(bob.password);
    await pageB.getByRole('button', { name: 'Log in' }).last().click();
    await pageB.getByRole('heading', { name: '# general' }).waitFor();
    await bodies(pageB, 'written while offline').waitFor();
  });

  it('ran under the CSP without a single violation, script error or dialog', async () => {
    expect(pageErrors).toEqual([]);
    expect(cspViolations).toEqual([]);
    expect(dialogs).toEqual([]);
    // The detector itself works: an inline style attribute is refused and reported.
    const probe = await contextA.newPage();
    const reported = probe.waitForEvent('console', { predicate: isCspViolation });
    await probe.goto(server.url);
    await probe.evaluate(() => {
      const element = document.createElement('div');
      element.setAttribute('style', 'color: red');
      document.body.append(element);
    });
    expect((await reported).text()).toMatch(/style-src/);
    await probe.close();
  });
});
