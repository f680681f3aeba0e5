import { env } from "cloudflare:workers";
import { r2Blobs } from "../../durable-objects/r2-blobs.ts";
import { blobStoreConformance } from "../shared/blob-store-conformance.ts";

// The bucket the commanders use (local R2 under miniflare): each case keys its own objects.
blobStoreConformance("R2", () => r2Blobs(env.PAYLOADS));
