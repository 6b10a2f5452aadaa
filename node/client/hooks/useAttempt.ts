import { useCallback, useState } from 'react';

/** Runs a command the server may refuse; the refusal's message is kept to show beside the form that asked. */
export function useAttempt(): { error: string | null; setError: (error: string | null) => void; attempt: (command: () => Promise<void>) => Promise<boolean> } {
  const [error, setError] = useState<string | null>(null);
  const attempt = useCallback(async (command: () => Promise<void>) => {
    setError(null);
    try {
      await command();
      return true;
    } catch (failure) {
      setError(failure instanceof Error ? failure.message : String(failure));
      return false;
    }
  }, []);
  return { error, setError, attempt };
}
