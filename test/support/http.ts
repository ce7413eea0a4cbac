/**
 * Small HTTP clients for adapter tests: raw sockets for what ordinary clients hide (a body cut
 * off mid-way, `Expect: 100-continue`), and undici for everything else.
 */

import { connect, type Socket } from 'node:net';

/** Opens a raw TCP connection to a URL's host and port. */
export function openSocket(url: string): Promise<Socket> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** Collects what a socket receives until `done` says enough, or the socket ends. */
export function readUntil(socket: Socket, done: (text: string) => boolean): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    const finish = (): void => {
      socket.off('data', onData);
      socket.off('end', finish);
      socket.off('close', finish);
      resolve(text);
    };
    const onData = (chunk: Buffer): void => {
      text += chunk.toString('latin1');
      if (done(text)) finish();
    };
    socket.on('data', onData);
    socket.once('end', finish);
    socket.once('close', finish);
  });
}

/** The head of a JSON POST, as a client would write it before the body. */
export function postHead(path: string, contentLength: number, extra: string[] = []): string {
  return [
    `POST ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    'Content-Type: application/json',
    `Content-Length: ${contentLength}`,
    ...extra,
    '',
    '',
  ].join('\r\n');
}
