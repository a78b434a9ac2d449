// @ts-check
// The protocol spoken straight from a page, without the web client: for
// what the client has no screen for, such as a moderator's sanctions. The
// page is the site's /healthz (same origin, no app running in it); it opens
// one WebSocket, and replies are matched by `req` among the frames the page
// receives (UserPage.nextFrame), awaited with a timeout, never slept for.
// (Node 20 has no WebSocket of its own.)

export class ProtocolClient {
  /** @param {import('./browser.mjs').UserPage} user */
  constructor(user) {
    this.user = user;
    this.lastReq = 0;
  }

  /**
   * Opens a WebSocket from `person`'s page and waits for the server's `welcome`.
   * @param {import('./person.mjs').Person} person
   */
  static async connect(person) {
    const client = new ProtocolClient(person.user);
    await person.page.goto(new URL('/healthz', person.baseUrl).href);
    const welcome = client.user.nextFrame((text) => JSON.parse(text).type === 'welcome');
    const url = new URL('/ws', person.baseUrl.replace(/^http/, 'ws')).href;
    await person.page.evaluate((address) => {
      /** @type {any} */ (window).protocolSocket = new WebSocket(address);
    }, url);
    await welcome;
    return client;
  }

  /**
   * Sends a command and resolves with the event that answers it (a reply or an `error`).
   * @param {Record<string, unknown>} command
   * @returns {Promise<any>}
   */
  async request(command) {
    this.lastReq += 1;
    const req = this.lastReq;
    const reply = this.user.nextFrame((text) => JSON.parse(text).req === req);
    await this.user.page.evaluate((frame) => /** @type {any} */ (window).protocolSocket.send(frame), JSON.stringify({ ...command, req }));
    return JSON.parse(await reply);
  }

  /**
   * Sends a command and fails unless the answer is an event of type `expected`.
   * @param {Record<string, unknown>} command
   * @param {string} expected
   */
  async expect(command, expected) {
    const reply = await this.request(command);
    if (reply.type !== expected) throw new Error(`${command.type}: expected ${expected}, got ${JSON.stringify(reply)}`);
    return reply;
  }

  /** Closes the WebSocket. */
  async close() {
    await this.user.page.evaluate(() => /** @type {any} */ (window).protocolSocket.close());
  }
}
