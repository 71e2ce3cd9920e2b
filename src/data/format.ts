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
/** Images in the whole test set (its one file). */
export const CIFAR10_TEST_IMAGES = RECORDS_PER_FILE;
export const META_FILE_NAME = "batches.meta.txt";
/** Folder the official archive unpacks to. */
export const BATCHES_DIR_NAME = "cifar-10-batches-bin";

export const CIFAR10_URL = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz";
export const CIFAR10_MD5 = "c32a1d4ab5d03f1284b67883e8d87530";
export const ARCHIVE_NAME = "cifar-10-binary.tar.gz";

/**
 * SHA-256 of the official files' contents (cifar-10-binary.tar.gz, MD5 c32a1d4a…): a `.bin` file, or
 * a `.bin.gz` once decompressed, must match these byte for byte.
 */
export const CIFAR10_SHA256: Readonly<Record<string, string>> = {
  "data_batch_1.bin": "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5",
  "data_batch_2.bin": "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed",
  "data_batch_3.bin": "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67",
  "data_batch_4.bin": "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48",
  "data_batch_5.bin": "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add",
  "test_batch.bin": "8e2eb146ae340b09e24670f29cabc6326dba54da8789dab6768acf480273f65b",
};

/** What to do about missing or damaged data; appended to every data error. */
export const FIX_HINT =
  "run `npm run data` (or loadCifar10({ download: true })) to download it, or set CIFAR10_DIR to a folder holding the CIFAR-10 binary version";
