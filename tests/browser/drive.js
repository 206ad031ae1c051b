// Walk through the cgid demo site in headless Chromium, as a person would:
// open the start page, look at the environment page, follow the link to the
// forms, submit the fields form (application/x-www-form-urlencoded), go
// back, upload a file with the second form (multipart/form-data).
//
//   node drive.js BASE_URL OUTDIR UPLOAD_FILE
//
// Writes to OUTDIR (tests/browser.bats checks them):
//   index.txt, env.txt, form.txt
//                             the visible text of the start page, of env.cgi
//                             (with a path and a query) and of the forms
//   fields.txt, fields.html   the page form.cgi answered to the fields form
//   upload.txt, upload.html   the page form.cgi answered to the upload
//   form.png, upload.png      screenshots
//   responses.tsv             every response the browser received: method,
//                             status, URL, connection id, connection reused
//                             (0/1), from the browser cache (0/1)
// Exits 0 when the walk could be done, 1 otherwise (the reason on stderr).
'use strict';

const fs = require('fs');
const path = require('path');
const { chromium } = require('playwright-core');

const [base, outdir, upload] = process.argv.slice(2);
if (!base || !outdir || !upload) {
	console.error('usage: node drive.js BASE_URL OUTDIR UPLOAD_FILE');
	process.exit(2);
}

// What the fields form is filled with; browser.bats expects the same.
const NAME = 'Ada & <b>Lovelace</b>';
const NOTE = 'line one\nline "two" <i>';

const out = (name) => path.join(outdir, name);

async function main() {
	const browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		timeout: 30000,
		args: [
			'--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
			'--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync',
			// Loopback only: never a proxy from the environment.
			'--no-proxy-server',
		],
	});
	try {
		const context = await browser.newContext({ viewport: { width: 900, height: 900 } });
		const page = await context.newPage();
		page.setDefaultTimeout(15000);
		page.setDefaultNavigationTimeout(15000);

		// The browser's own account of the connections it used.
		const rows = [];
		const methods = new Map();
		const cached = new Set();
		const cdp = await context.newCDPSession(page);
		await cdp.send('Network.enable');
		cdp.on('Network.requestWillBeSent', (e) => methods.set(e.requestId, e.request.method));
		cdp.on('Network.requestServedFromCache', (e) => cached.add(e.requestId));
		cdp.on('Network.responseReceived', (e) => {
			const r = e.response;
			rows.push([methods.get(e.requestId) || '?', r.status, r.url,
				r.connectionId, r.connectionReused ? 1 : 0,
				r.fromDiskCache || r.fromMemoryCache || cached.has(e.requestId) ? 1 : 0].join('\t'));
		});

		const text = async (name) => {
			const t = await page.innerText('body');
			fs.writeFileSync(out(name + '.txt'), t + '\n');
			fs.writeFileSync(out(name + '.html'), await page.content());
		};

		// Start page, the environment page with a path and a query, back to
		// the start page by its link, then on to the forms.
		await page.goto(base + '/');
		await text('index');
		await Promise.all([
			page.waitForURL('**/cgi-bin/env.cgi/extra/path?*'),
			page.click('a[href^="cgi-bin/env.cgi/extra/path?"]'),
		]);
		await text('env');
		await Promise.all([page.waitForURL('**/index.html'), page.click('a[href="/index.html"]')]);
		await Promise.all([page.waitForURL('**/form.html'), page.click('a[href="form.html"]')]);
		await text('form');
		await page.screenshot({ path: out('form.png'), fullPage: true });

		// The fields form.
		await page.fill('#name', NAME);
		await page.selectOption('#colour', 'blue');
		await page.fill('#note', NOTE);
		await Promise.all([
			page.waitForURL('**/cgi-bin/form.cgi'),
			page.click('#fields input[type=submit]'),
		]);
		await page.waitForSelector('h1');
		await text('fields');

		// Back to the forms by the page's own link, then the upload.
		await Promise.all([page.waitForURL('**/form.html'), page.click('a[href="/form.html"]')]);
		await page.fill('#title', 'An upload');
		await page.setInputFiles('#file', upload);
		await Promise.all([
			page.waitForURL('**/cgi-bin/form.cgi'),
			page.click('#upload input[type=submit]'),
		]);
		await page.waitForSelector('h1');
		await text('upload');
		await page.screenshot({ path: out('upload.png'), fullPage: true });

		fs.writeFileSync(out('responses.tsv'), rows.map((r) => r + '\n').join(''));
		await context.close();
	} finally {
		await browser.close();
	}
}

main().then(() => process.exit(0), (err) => {
	console.error('drive.js: ' + (err && err.stack ? err.stack : err));
	process.exit(1);
});
