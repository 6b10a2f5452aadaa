/** A refusal shown where the user acted, announced by screen readers as it appears (role="alert"). */
export function FormError({ error, inline = false }: { error: string | null | undefined; inline?: boolean }) {
  if (!error) return null;
  const Element = inline ? 'span' : 'p';
  return (
    <Element className="form-error" role="alert">
      {error}
    </Element>
  );
}
