import { waitFor, type TestPlayer } from "@arena/testkit";

/** Puts two players in the open on y = 150, Ann at x 300 facing Bob at x 600, and waits until `viewer` sees them there with shields down. */
export async function placeFacing(ann: TestPlayer, bob: TestPlayer, viewer: TestPlayer = ann): Promise<void> {
  ann.room.send("__test:place", { x: 300, y: 150 });
  bob.room.send("__test:place", { x: 600, y: 150 });
  await waitFor("placed, shields down", () => {
    const a = viewer.state.players.get(ann.id)!,
      b = viewer.state.players.get(bob.id)!;
    return a.x === 300 && b.x === 600 && !a.shielded && !b.shielded;
  });
}

/** Bob wounds Ann, then Ann fires until she has killed Bob (score 1); Ann keeps sending frames, fire released. */
export async function scoreAndWound(ann: TestPlayer, bob: TestPlayer): Promise<void> {
  await placeFacing(ann, bob);
  bob.controls.aim = Math.PI;
  bob.controls.fire = true;
  bob.sendFrame();
  bob.controls.fire = false;
  await waitFor("Ann hit", () => ann.state.players.get(ann.id)!.hp < 100);
  ann.controls.aim = 0;
  ann.controls.fire = true;
  ann.play();
  await waitFor("Ann scores a kill", () => ann.state.players.get(ann.id)!.score === 1, 5000);
  ann.controls.fire = false;
}
