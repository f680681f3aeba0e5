// expect: job/cycle@12
// A crawler dispatches each page to a handler job by its kind, through an object table. The
// redirect handler crawls the same page again (it meant to crawl page.location): crawl-page ->
// follow-redirect -> crawl-page with the same page on every path, a deadlock.
import { type Job, type Step, defineJob } from "../../../core/index.ts";

type Page = { url: string; kind: "html" | "feed" | "redirect"; location: string };

export const crawlPage: Job<Page, number> = defineJob({
  name: "crawl-page",
  *run(page: Page): Step<number> {
    return yield* HANDLERS[page.kind](page);
  },
});

export const parseHtml: Job<Page, number> = defineJob({ name: "parse-html", *run(page: Page): Step<number> { return page.url.length; } });
export const parseFeed: Job<Page, number> = defineJob({ name: "parse-feed", *run(page: Page): Step<number> { return page.location.length; } });

export const followRedirect: Job<Page, number> = defineJob({
  name: "follow-redirect",
  *run(page: Page): Step<number> {
    return yield* crawlPage(page);
  },
});

const HANDLERS = { html: parseHtml, feed: parseFeed, redirect: followRedirect };
