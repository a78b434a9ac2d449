// The address bar: `/salon/<slug>` names a room, everything else is the
// home screen. The open room is written into the address (replacing it, so
// Back still leaves the site), so a reload lands back in it and a room can
// be shared as a link: whoever opens it enters (or is let back in) and
// lands in that room. Private conversations never show in the address.

import type { View } from './session/view.svelte';

/** Slugs as the server makes them: lower-case ASCII letters and digits in dash-separated runs. */
const ROOM_PATH = /^\/salon\/([a-z0-9]+(?:-[a-z0-9]+)*)\/?$/;

/** The room an address names, if any. */
export function roomFromPath(path: string): string | null {
  return ROOM_PATH.exec(path)?.[1] ?? null;
}

/** The address of a view. */
export function pathFor(view: View): string {
  return view.kind === 'room' ? `/salon/${view.slug}` : '/';
}
