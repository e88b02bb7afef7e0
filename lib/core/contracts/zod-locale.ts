import * as z from 'zod/mini';
import * as locales from 'zod/locales';

/**
 * zod's English messages for the schemas built with `zod/mini` (the ones the Lambdas parse: lib/core/contracts,
 * lib/core/incident, lib/core/catalog). `zod/mini` loads no locale, so without this every issue would read "Invalid
 * input"; the classic `zod` API sets the same locale on its first schema ("Zod Mini", zod's documentation: "Zod Mini
 * doesn't load any locale by default"). The locale is taken from `zod/locales` by its name: `z.locales.en` would put
 * every locale in the bundle (about 200 KB). Imported for its effect by every module that builds
 * such schemas, so the messages do not depend on which module a process loads first.
 */
z.config(locales.en());
