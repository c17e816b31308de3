"""Interpreter hand-off (DESIGN §6.4): staff ask for an interpreter of a
language, interpreters on call for it are offered the request, the first to accept gets
it, and a staff browser adds their device to the conversation with a new epoch. Leaving,
removal or the time limit closes the epochs they could read until a staff browser has
made one without them (chat's ``epochs_close``)."""
