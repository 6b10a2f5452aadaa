/**
 * socket.io's packet format without its search for binary data. socket.io's default encoder walks every packet it
 * sends, each key of each object, looking for Buffers to send as attachments: about 1 % of the server's event loop at
 * 5,000 messages a second, for a protocol that is JSON only (node/shared/protocol.ts). This encoder writes the same
 * string as the default one for a packet without binary data, so clients keep socket.io's own parser; decoding is
 * socket.io's.
 */
import { Decoder, Encoder, type Packet } from 'socket.io-parser';

class PlainEncoder extends Encoder {
  override encode(packet: Packet): string[] {
    let encoded = String(packet.type);
    if (packet.nsp && packet.nsp !== '/') encoded += `${packet.nsp},`;
    if (packet.id !== undefined && packet.id !== null) encoded += String(packet.id);
    if (packet.data !== undefined && packet.data !== null) encoded += JSON.stringify(packet.data);
    return [encoded];
  }
}

export const plainParser = { Encoder: PlainEncoder, Decoder };
