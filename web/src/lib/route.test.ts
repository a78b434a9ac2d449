// The address bar: a room's address read and written, anything else the
// home screen.

import { describe, expect, it } from 'vitest';
import { pathFor, roomFromPath } from './route';

describe('route', () => {
  it('reads a room from its address', () => {
    expect(roomFromPath('/salon/paris')).toBe('paris');
    expect(roomFromPath('/salon/cafe-du-coin/')).toBe('cafe-du-coin');
  });

  it('ignores anything that is not a room address', () => {
    for (const path of ['/', '/salon/', '/salon/Paris', '/salon/a--b', '/salon/-a', '/salon/a/b', '/autre/paris']) {
      expect(roomFromPath(path), path).toBeNull();
    }
  });

  it('writes only rooms into the address', () => {
    expect(pathFor({ kind: 'room', slug: 'paris' })).toBe('/salon/paris');
    expect(pathFor({ kind: 'home' })).toBe('/');
    expect(pathFor({ kind: 'dm', peer: '42' })).toBe('/');
    expect(pathFor({ kind: 'settings' })).toBe('/');
  });
});
