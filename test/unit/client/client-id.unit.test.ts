import { newClientId } from '../../../node/client/lib/clientId';

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('newClientId', () => {
  it('uses crypto.randomUUID where the browser has it', () => {
    expect(newClientId({ getRandomValues: (array) => array, randomUUID: () => '00000000-0000-4000-8000-000000000001' })).toBe(
      '00000000-0000-4000-8000-000000000001',
    );
  });

  it('builds a v4 UUID from getRandomValues outside secure contexts (plain HTTP)', () => {
    // Node's Web Crypto, without randomUUID: what a browser page served over plain HTTP gets.
    const source: Pick<Crypto, 'getRandomValues'> = { getRandomValues: crypto.getRandomValues.bind(crypto) };
    const ids = new Set(Array.from({ length: 50 }, () => newClientId(source)));
    expect(ids.size).toBe(50);
    for (const id of ids) expect(id).toMatch(UUID_V4);
  });
});
