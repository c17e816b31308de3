/**
 * Who an epoch adds or removes, read from the signed commits (docs/protocol.md §5.4):
 * an interpreter device is a `device` member labelled `interpreter:<language>`.
 * Pages show "an interpreter (Bulgarian) joined / left" from these, never from what the
 * server says.
 * @module
 */

const INTERPRETER_LABEL = /^interpreter:([a-z]{2,3})$/;

/** The interpreter members of a commit: `[{deviceId, language}]`. */
export function interpretersOf(commit) {
  if (!commit) return [];
  return commit.members
    .filter((member) => member.kind === "device")
    .map((member) => ({
      deviceId: member.id,
      language: INTERPRETER_LABEL.exec(member.label)?.[1] ?? "",
    }));
}

/**
 * What changed between two consecutive commits (`previous` null for the first one a
 * client holds): `[{change: "joined"|"left", deviceId, language}]`.
 */
export function interpreterChanges(previous, commit) {
  const before = interpretersOf(previous);
  const after = interpretersOf(commit);
  const ids = (list) => new Set(list.map((member) => member.deviceId));
  const beforeIds = ids(before);
  const afterIds = ids(after);
  return [
    ...after.filter((m) => !beforeIds.has(m.deviceId)).map((m) => ({ change: "joined", ...m })),
    ...before.filter((m) => !afterIds.has(m.deviceId)).map((m) => ({ change: "left", ...m })),
  ];
}
