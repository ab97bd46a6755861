/** What the main step hands to the post step (`core.saveState` → `STATE_<name>`). */
export const STATE_REQUEST_ID = 'request-id';
