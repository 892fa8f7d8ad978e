import { diskContract } from "./disk.contract.ts";
import { PosixDisk } from "./posix-disk.ts";

diskContract("posix", () => new PosixDisk());
