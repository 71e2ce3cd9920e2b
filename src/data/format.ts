/** Layout of the CIFAR-10 binary version and where it comes from. */

export const IMAGE_SIZE = 32;
export const CHANNELS = 3;
export const NUM_CLASSES = 10;
/** Pixels of one colour plane (32×32, row-major). */
export const PLANE_SIZE = IMAGE_SIZE * IMAGE_SIZE;
/** Bytes of one image: the R, G and B planes one after the other (channel-major). */
export const IMAGE_BYTES = PLANE_SIZE * CHANNELS;
/** One record: a label byte, then the image. */
export const RECORD_BYTES = 1 + IMAGE_BYTES;
export const RECORDS_PER_FILE = 10_000;
export const BATCH_FILE_BYTES = RECORDS_PER_FILE * RECORD_BYTES; // 30,730,000

export const TRAIN_FILE_NAMES: readonly string[] = [1, 2, 3, 4, 5].map((i) => `data_batch_${i}.bin`);
export const TEST_FILE_NAME = "test_batch.bin";
export const META_FILE_NAME = "batches.meta.txt";
/** Folder the official archive unpacks to. */
export const BATCHES_DIR_NAME = "cifar-10-batches-bin";

export const CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
export const CIFAR10_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";
export const ARCHIVE_NAME = "cifar-10-binary.tar.gz";

/** What to do about missing or damaged data; appended to every data error. */
export const FIX_HINT =
  "run `npm run data` (or loadCifar10({ download: true })) to download it, or set CIFAR10_DIR to a folder holding the CIFAR-10 binary version";
