/** What the main step hands to the post step (`core.saveState` → `STATE_<name>`). */
export const STATE_REQUEST_ID = 'request-id';
/** The renewing profile's directory (config, manifest, cache), deleted by the post step. */
export const STATE_PROFILE_DIR = 'profile-dir';
