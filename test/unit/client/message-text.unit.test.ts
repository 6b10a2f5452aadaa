/**
 * The message renderer through React's real server renderer: each construct of the subset, what stays text,
 * and the link rule.
 */
import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { LINK_REL, MessageText } from '../../../node/client/components/MessageText';
import { httpUrl } from '../../../node/client/lib/markdown';
import { lettersAndDigits, RENDERED_ELEMENTS, XSS_PAYLOADS } from '../../support/xss';

const render = (body: string) => renderToStaticMarkup(createElement(MessageText, { body }));
const link = (href: string, text: string) => `<a href="${href}" target="_blank" rel="noopener noreferrer nofollow">${text}</a>`;

describe('the Markdown subset of messages', () => {
  it('renders plain text as one paragraph, keeping line breaks and spacing as typed', () => {
    expect(render('hello')).toBe('<p>hello</p>');
    expect(render('first line\nsecond line')).toBe('<p>first line\nsecond line</p>');
    expect(render('one\n\ntwo')).toBe('<p>one</p><p>two</p>');
  });

  it('renders bold, italic and strikethrough, also nested', () => {
    expect(render('**bold** and __bold__')).toBe('<p><strong>bold</strong> and <strong>bold</strong></p>');
    expect(render('*italic* and _italic_')).toBe('<p><em>italic</em> and <em>italic</em></p>');
    expect(render('~~gone~~')).toBe('<p><s>gone</s></p>');
    expect(render('***both*** ~~**struck bold**~~')).toBe('<p><em><strong>both</strong></em> <s><strong>struck bold</strong></s></p>');
  });

  it('renders inline code and code blocks verbatim, Markdown and HTML inside included', () => {
    expect(render('run `npm test` **now**')).toBe('<p>run <code>npm test</code> <strong>now</strong></p>');
    expect(render('`<b>*not bold*</b>`')).toBe('<p><code>&lt;b&gt;*not bold*&lt;/b&gt;</code></p>');
    expect(render('```ts\nconst a = `x` && b;\n  **indented**\n```')).toBe('<pre><code>const a = `x` &amp;&amp; b;\n  **indented**</code></pre>');
    // An unclosed fence runs to the end of the message.
    expect(render('```\nopen')).toBe('<pre><code>open</code></pre>');
  });

  it('renders quotes, also nested and with formatting inside', () => {
    expect(render('> quoted *text*\n\nreply')).toBe('<blockquote><p>quoted <em>text</em></p></blockquote><p>reply</p>');
    expect(render('> outer\n>> inner')).toBe('<blockquote><p>outer</p><blockquote><p>inner</p></blockquote></blockquote>');
  });

  it('renders bulleted and numbered lists, keeping the first number', () => {
    expect(render('- one\n- **two**')).toBe('<ul><li>one</li><li><strong>two</strong></li></ul>');
    expect(render('* a\n  * nested')).toBe('<ul><li>a<ul><li>nested</li></ul></li></ul>');
    expect(render('3. three\n4. four')).toBe('<ol start="3"><li>three</li><li>four</li></ol>');
    // A loose list (blank lines between items) keeps paragraphs in its items.
    expect(render('1. one\n\n2. two')).toBe('<ol start="1"><li><p>one</p></li><li><p>two</p></li></ol>');
  });

  it('shows headings, images, tables, rules, link references, entities and HTML as the text that was typed', () => {
    expect(render('# not a heading')).toBe('<p># not a heading</p>');
    expect(render('title\n===')).toBe('<p>title\n===</p>');
    expect(render('| a | b |\n| - | - |\n| 1 | 2 |')).toBe('<p>| a | b |\n| - | - |\n| 1 | 2 |</p>');
    expect(render('---')).toBe('<p>---</p>');
    // A bare URL is a link wherever it is.
    expect(render('[x]: https://example.com\n[x]')).toBe(`<p>[x]: ${link('https://example.com/', 'https://example.com')}\n[x]</p>`);
    expect(render('&lt;b&gt; &amp; &#106;')).toBe('<p>&amp;lt;b&amp;gt; &amp;amp; &amp;#106;</p>');
    expect(render('<b onclick="x()">hi</b>')).toBe('<p>&lt;b onclick=&quot;x()&quot;&gt;hi&lt;/b&gt;</p>');
    expect(render('<div>\n<script>alert(1)</script>\n</div>')).toBe('<p>&lt;div&gt;\n&lt;script&gt;alert(1)&lt;/script&gt;\n&lt;/div&gt;</p>');
    expect(render('![alt](/a.png)')).toBe('<p>![alt](/a.png)</p>');
    expect(render('![alt](https://example.com/a.png)')).toBe(`<p>![alt](${link('https://example.com/a.png', 'https://example.com/a.png')})</p>`);
  });

  it('lets a backslash keep a Markdown character literal', () => {
    expect(render('\\*not italic\\*')).toBe('<p>*not italic*</p>');
  });
});

describe('links in messages', () => {
  it('makes http and https links clickable, in a new tab without opener, referrer or follow', () => {
    expect(LINK_REL).toBe('noopener noreferrer nofollow');
    expect(render('[the docs](https://example.com/docs?a=1&b=2)')).toBe(`<p>${link('https://example.com/docs?a=1&amp;b=2', 'the docs')}</p>`);
    expect(render('see http://example.com/x.')).toBe(`<p>see ${link('http://example.com/x', 'http://example.com/x')}.</p>`);
    expect(render('<https://example.com>')).toBe(`<p>${link('https://example.com/', 'https://example.com')}</p>`);
    expect(render('HTTPS://EXAMPLE.COM/Path')).toBe(`<p>${link('https://example.com/Path', 'HTTPS://EXAMPLE.COM/Path')}</p>`);
    expect(render('[**bold** link](https://example.com)')).toBe(`<p>${link('https://example.com/', '<strong>bold</strong> link')}</p>`);
  });

  it('encodes what a link may not contain, so the href cannot break out of its attribute', () => {
    expect(render('[x](https://example.com/"onmouseover="alert(1))')).toBe(`<p>${link('https://example.com/%22onmouseover=%22alert(1)', 'x')}</p>`);
    expect(render('[x](<https://example.com/a b>)')).toBe(`<p>${link('https://example.com/a%20b', 'x')}</p>`);
  });

  it.each([
    ['[x](javascript:alert(1))'],
    ['[x](JaVaScRiPt:alert(1))'],
    ['[x](&#106;avascript:alert(1))'],
    ['[x](java\\nscript:alert(1))'],
    ['[x](%6Aavascript:alert(1))'],
    ['[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)'],
    ['[x](data:image/png;base64,iVBORw0KGgo=)'],
    ['[x](vbscript:msgbox(1))'],
    ['[x](file:///etc/passwd)'],
    ['[x](ftp://example.com/file)'],
    ['[x](mailto:someone@example.com)'],
    ['[x](/relative/path)'],
    ['[x](relative)'],
    ['[x](#fragment)'],
    ['[x](//example.com/protocol-relative)'],
    ['[x](https:example.com)'],
    ['<javascript:alert(1)>'],
    ['<ftp://example.com>'],
    ['<someone@example.com>'],
    ['javascript:alert(1)'],
    ['ftp://example.com/file'],
    ['mailto:someone@example.com someone@example.com'],
    ['//example.com/protocol-relative'],
    ['www.example.com and example.com'],
  ])('keeps %s as text, not a link', (body) => {
    const html = render(body);
    expect(html).not.toContain('<a');
    expect(html).not.toContain('href');
  });

  it('accepts only absolute http(s) URLs in its one link rule', () => {
    expect(httpUrl('https://example.com')).toBe('https://example.com/');
    expect(httpUrl('http://[::1]:8080/a')).toBe('http://[::1]:8080/a');
    for (const refused of ['javascript:alert(1)', ' https://example.com', 'https:/example.com', 'https://', '//example.com', '/a', 'data:,x', 'httpx://a'])
      expect(httpUrl(refused)).toBeNull();
  });
});

const unescape = (html: string) =>
  html.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#x27;/g, "'").replace(/&amp;/g, '&');

describe('XSS payloads (OWASP filter evasion cheat sheet) in messages', () => {
  it.each(XSS_PAYLOADS.map((payload) => [JSON.stringify(payload), payload]))('renders %s with allowed elements only, and shows its text', (_name, payload) => {
    const html = render(payload);
    // React escapes every "<" of text, so each one left in the markup opens an element React wrote.
    for (const [, closing, tag = '', attributes = ''] of html.matchAll(/<(\/?)([^\s>/]+)([^>]*)>/g)) {
      expect(Object.keys(RENDERED_ELEMENTS)).toContain(tag);
      const names = [...attributes.matchAll(/([^\s=]+)="([^"]*)"/g)].map(([, name]) => name);
      expect(RENDERED_ELEMENTS[tag]).toEqual(expect.arrayContaining(names));
      if (tag === 'a' && !closing) expect(attributes).toMatch(/^ href="https?:\/\/[^"]*" target="_blank" rel="noopener noreferrer nofollow"$/);
    }
    expect(lettersAndDigits(unescape(html.replace(/<[^>]*>/g, '')))).toBe(lettersAndDigits(payload));
  });
});
