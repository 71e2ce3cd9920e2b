/** A problem with the CIFAR-10 files themselves (missing, damaged, wrong checksum): fixable by (re)downloading. */
export class Cifar10DataError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Cifar10DataError";
  }
}
