// docker save / skopeo docker-archive: tars: manifest.json names the config and the layer tars inside the outer tar.
import { ImageFormatError } from '../image-entry.js';
import type { OuterArchive } from './archive-members.js';
import { checkBytes, parseDigest, type Digest } from './blob-digest.js';
import type { ImageLayers, ImageSelect, LayerSource } from './image-layers.js';
import { MAX_JSON_BYTES, asArray, asObject, asString, parseJson } from './json-fields.js';
import { MAX_LAYERS } from './oci-layout.js';

/**
 * manifest.json is `[{"Config": "<hex>.json", "RepoTags": ["name:tag"], "Layers": ["<hex>/layer.tar", ...]}]`
 * (moby image/tarexport/save.go). Layers are listed lowest first; the config's rootfs.diff_ids are the digests of
 * the uncompressed layer tars in the same order, and are checked while the layers are read.
 */
export async function resolveDockerSave(a: OuterArchive, sel: ImageSelect = {}): Promise<ImageLayers> {
  const list = asArray(
    parseJson(await a.readSmall('manifest.json', MAX_JSON_BYTES, 'manifest.json'), 'manifest.json'),
    'manifest.json',
  );
  const images = list.map((v, i) => asObject(v, `manifest.json [${i}]`));
  const tagsOf = (o: Record<string, unknown>): string[] =>
    Array.isArray(o.RepoTags) ? o.RepoTags.filter((t): t is string => typeof t === 'string') : [];
  let image: Record<string, unknown> | undefined;
  if (sel.tag !== undefined) {
    const tag = sel.tag;
    image = images.find((o) => tagsOf(o).some((t) => t === tag || t.endsWith(`:${tag}`)));
    if (!image) throw new ImageFormatError(`manifest.json: no image is tagged ${tag}`);
  } else {
    // docker save of several images lists each; without a tag the first is read.
    image = images[0];
    if (!image) throw new ImageFormatError('manifest.json: lists no image');
  }
  const layerPaths = asArray(image.Layers, 'manifest.json Layers').map((v, i) =>
    asString(v, `manifest.json Layers[${i}]`),
  );
  if (layerPaths.length > MAX_LAYERS)
    throw new ImageFormatError(`manifest.json: more than ${MAX_LAYERS} layers`);
  let diffIds: Digest[] | undefined;
  if (image.Config !== undefined) {
    const configPath = asString(image.Config, 'manifest.json Config');
    const data = await a.readSmall(configPath, MAX_JSON_BYTES, 'image config');
    // The config is named by its digest ("<hex>.json", or blobs/sha256/<hex> since Docker 25): check it, since
    // its diff_ids are what the layers are checked against.
    const named = /^(?:\.\/)?(?:blobs\/(sha256|sha512)\/)?([a-f0-9]{64}|[a-f0-9]{128})(?:\.json)?$/.exec(
      configPath,
    );
    if (named)
      checkBytes(
        data,
        parseDigest(`${named[1] ?? 'sha256'}:${named[2]}`, 'image config'),
        `image config ${configPath}`,
      );
    const config = asObject(parseJson(data, 'image config'), 'image config');
    const rootfs = config.rootfs === undefined ? undefined : asObject(config.rootfs, 'image config rootfs');
    if (rootfs?.diff_ids !== undefined) {
      const ids = asArray(rootfs.diff_ids, 'image config diff_ids').map((v, i) =>
        parseDigest(v, `image config diff_ids[${i}]`),
      );
      if (ids.length !== layerPaths.length) {
        throw new ImageFormatError(
          `image config lists ${ids.length} diff_ids for ${layerPaths.length} layers`,
        );
      }
      diffIds = ids;
    }
  }
  const layers: LayerSource[] = layerPaths.map((p, i) => {
    const what = `layer ${i} (${p})`;
    a.resolve(p, what); // missing layers are reported now, not half-way through the image
    // Docker >= 25 stores layers as OCI blobs: the name is the digest of the stored bytes.
    const m = /^(?:\.\/)?blobs\/(sha256|sha512)\/([a-f0-9]+)$/.exec(p);
    const blobDigest = m ? parseDigest(`${m[1]}:${m[2]}`, what) : undefined;
    const diffId = diffIds?.[i];
    return {
      index: i,
      mediaType: 'application/vnd.docker.image.rootfs.diff.tar',
      ...(blobDigest ? { blobDigest } : {}),
      ...(diffId ? { diffId } : {}),
      what,
      open: () => a.open(p, what),
    };
  });
  const ref = tagsOf(image)[0];
  return { kind: 'docker-save', ...(ref !== undefined ? { ref } : {}), layers };
}
