import { start } from './server.mjs';
import { launch, openPage, pageReady, frames } from './browser.mjs';
const s = await start('dist', '/x/');
const b = await launch();
const { page, problems, context } = await openPage(b, s.url, s.origin, JSON.parse(process.env.CTX || '{}'));
const t0 = Date.now();
try { await pageReady(page); } catch (e) { console.log('not ready', e.message); }
console.log('ready after', Date.now() - t0);
const fn = (await import(process.argv[2])).default;
try { await fn(page, { problems, frames }); } catch (e) { console.log('ERR', e); }
console.log('problems', problems());
await context.close(); await b.close(); await s.close();
