/**
 * Data sets: Fashion-MNIST, CIFAR-10 (binary batches or an image folder), image folders
 * (ImageNet layout) and Penn Treebank; parsing (pure, on bytes) is separate from I/O.
 * Data roots: `dataDir` option, `PADAM_DATA`, `<repo>/data`, `../shared/data`, and Debian's
 * Fashion-MNIST location; `npm run data -- --list` shows what is found where.
 */
export * from "./types";
export * from "./manifest";
export * from "./cache";
export * from "./fashion_mnist";
export * from "./cifar10";
export * from "./image_folder";
export * from "./augment";
export * from "./batches";
export * from "./ptb";
