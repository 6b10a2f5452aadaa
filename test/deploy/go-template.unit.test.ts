import { envVariablesRead, renderGoTemplate, TemplateFailError, UnsupportedTemplateError } from './go-template';

describe('the Go template subset werf.yaml is rendered with', () => {
  it('reads env with a default and treats an empty variable as unset, like werf', () => {
    const template = 'builder: {{ env "BUILDER" "stapel" }}';
    expect(renderGoTemplate(template, {})).toBe('builder: stapel');
    expect(renderGoTemplate(template, { BUILDER: '' })).toBe('builder: stapel');
    expect(renderGoTemplate(template, { BUILDER: 'dockerfile' })).toBe('builder: dockerfile');
  });

  it('chooses the first true branch of if / else if / else and honours the trim markers', () => {
    const template = [
      '{{- /* which one */ -}}',
      '{{- $kind := env "KIND" "a" -}}',
      'start',
      '{{- if eq $kind "a" }}',
      'A',
      '{{- else if eq $kind "b" }}',
      'B',
      '{{- else }}',
      'other {{ $kind }}',
      '{{- end }}',
      'done',
    ].join('\n');
    expect(renderGoTemplate(template, {})).toBe('start\nA\ndone');
    expect(renderGoTemplate(template, { KIND: 'b' })).toBe('start\nB\ndone');
    expect(renderGoTemplate(template, { KIND: 'c' })).toBe('start\nother c\ndone');
  });

  it('nests if blocks', () => {
    const template = '{{ if eq "x" "x" }}[{{ if eq "x" "y" }}no{{ else }}yes{{ end }}]{{ end }}';
    expect(renderGoTemplate(template, {})).toBe('[yes]');
  });

  it('stops with the message of fail, only when that branch is taken', () => {
    const template = '{{ if eq (env "MODE") "bad" }}x{{ end }}';
    expect(() => renderGoTemplate(template, {})).toThrow(UnsupportedTemplateError);
    const failing = '{{ $m := env "MODE" "ok" }}{{ if eq $m "ok" }}fine{{ else }}{{ fail "MODE must be ok" }}{{ end }}';
    expect(renderGoTemplate(failing, {})).toBe('fine');
    expect(() => renderGoTemplate(failing, { MODE: 'nope' })).toThrow(new TemplateFailError('MODE must be ok'));
  });

  it.each([
    ['a pipe', '{{ env "A" | quote }}'],
    ['a field', '{{ .Env }}'],
    ['range', '{{ range $x := "a" }}{{ end }}'],
    ['include', '{{ include "x" "y" }}'],
    ['an unknown function', '{{ upper "a" }}'],
    ['an unterminated if', '{{ if eq "a" "a" }}x'],
    ['a stray end', 'x{{ end }}'],
    ['an unterminated action', 'x {{ env "A"'],
    ['too many arguments', '{{ env "A" "b" "c" }}'],
  ])('refuses %s', (_what, template) => {
    expect(() => renderGoTemplate(template, {})).toThrow(UnsupportedTemplateError);
  });

  it('lists every environment variable read, in any branch', () => {
    const template = '{{ if eq (env "A") "x" }}{{ end }}';
    expect(() => envVariablesRead(template)).toThrow(UnsupportedTemplateError);
    expect(envVariablesRead('{{ $a := env "B" }}{{ if eq $a "x" }}{{ env "C" "d" }}{{ end }}')).toEqual(['B', 'C']);
  });
});
