/**
 * The server's packet encoder (realtime/plain-parser.ts) against socket.io's own: the same string for every kind of
 * packet the server sends, which socket.io's decoder, the one clients use, reads back as the packet it was.
 */
import { Decoder, Encoder, PacketType, type Packet } from 'socket.io-parser';
import { plainParser } from '../../node/server/realtime/plain-parser';

const packets: Packet[] = [
  { type: PacketType.CONNECT, nsp: '/', data: { sid: 'abc' } },
  { type: PacketType.EVENT, nsp: '/', data: ['message:new', { id: 1, body: 'quotes " and \\ and <b>tags</b>, ünïcödé, 🎉', mentions: [] }] },
  { type: PacketType.EVENT, nsp: '/admin', data: ['rooms:updated', [{ name: 'general', memberCount: 6 }]] },
  { type: PacketType.ACK, nsp: '/', id: 42, data: [{ data: { id: 7, editedAt: null } }] },
  { type: PacketType.ACK, nsp: '/', id: 0, data: [{ error: 'server busy: retry', code: 'busy' }] },
  { type: PacketType.DISCONNECT, nsp: '/' },
  { type: PacketType.CONNECT_ERROR, nsp: '/', data: { message: 'unauthorized' } },
];

test.each(packets)('packet type $type on $nsp is encoded as socket.io encodes it', (packet) => {
  expect(new plainParser.Encoder().encode(packet)).toEqual(new Encoder().encode(packet));
});

test('what it encodes, socket.io decodes back to the same packet', () => {
  const decoded: Packet[] = [];
  const decoder = new Decoder();
  decoder.on('decoded', (packet: Packet) => decoded.push(packet));
  for (const packet of packets) for (const encoded of new plainParser.Encoder().encode(packet)) decoder.add(encoded);
  expect(decoded).toEqual(packets);
});
