import { MemoryBlobStore } from "../../runtime/jobs/payload-store.ts";
import { blobStoreConformance } from "../shared/blob-store-conformance.ts";

blobStoreConformance("memory", () => new MemoryBlobStore());
