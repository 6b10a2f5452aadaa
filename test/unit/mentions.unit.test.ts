/** Which `@name`s a text mentions: the rule the server resolves and the client highlights. */
import { mentionCandidates, mentionedNames } from '../../node/shared/mentions';

describe('mentionedNames', () => {
  it('finds @names in any case, lower-cased and each once', () => {
    expect(mentionedNames('@Bob hi @carol, and @BOB again (@dave_1) @eve-x.')).toEqual(['bob', 'carol', 'dave_1', 'eve-x']);
  });

  it('leaves out e-mail addresses, names too short or too long, and an @ glued to another', () => {
    expect(mentionedNames('mail a@bob.com, @b, @ab, @toolongnametoolongnametoolongname1, @eve@frank')).toEqual(['eve']);
  });
});

describe('mentionCandidates', () => {
  it('leaves out code spans and code blocks', () => {
    expect(mentionCandidates('hi `@bob` and ``x `@c` y`` @dan\n```\n@eve\n```\n@fay\n~~~\n@gus\n~~~\n@hal')).toEqual(['dan', 'fay', 'hal']);
  });

  it('takes an unclosed fence to the end, and an unclosed backtick as text', () => {
    expect(mentionCandidates('@ann\n```\n@open')).toEqual(['ann']);
    expect(mentionCandidates('`unclosed @ann')).toEqual(['ann']);
  });
});
