import { NUM_CLASSES } from "./format";
import { Cifar10DataError } from "./errors";

/** Class names in label order, as listed in `batches.meta.txt`. */
export const CIFAR10_CLASSES: readonly string[] = Object.freeze([
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
]);

/** Parse `batches.meta.txt`: one class name per line, blank lines ignored. */
export function parseClassNames(text: string, file: string): readonly string[] {
  const names = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (names.length !== NUM_CLASSES) {
    throw new Cifar10DataError(
      `${file} lists ${names.length} class names, expected ${NUM_CLASSES}: it is not CIFAR-10's batches.meta.txt; replace it with the original file.`,
    );
  }
  return Object.freeze(names);
}
