/**
 * Data sets: Fashion-MNIST, CIFAR-10 (binary batches or an image folder), image folders
 * (ImageNet layout) and Penn Treebank; parsing (pure, on bytes) is separate from I/O.
 * Data roots: `dataDir` option, the folders in `PADAM_DATA` (':'-separated), `<repo>/data`, and
 * Debian's Fashion-MNIST location; `npm run data -- --list` shows what is found where and
 * `requireData`/`dataSkip` (availability.ts) turn an absent data set into one line naming the
 * command that fetches it.
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
export * from "./availability";
export * from "./image_folder_build";
