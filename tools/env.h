/*
** env.h: `netc env`, which drives an environment by hand, gym-style:
**   netc env cartpole [--v1] [--seed S | --init X,X_DOT,THETA,THETA_DOT]
**                     --actions 0110...
** prints one JSON object per step.
*/
#ifndef NETC_TOOLS_ENV_H
#define NETC_TOOLS_ENV_H

/* Runs `netc env`; argv holds the argc words after "env" (argv[0] names the
** environment). Prints to stdout and stderr; returns the exit status: 0 on
** success, 1 when a step is refused, 2 on a usage error. */
int netc_cli_env(int argc, char **argv);

#endif
