/* SPDX-License-Identifier: MIT */
/* Subcommands: argv[0] is the subcommand's name; each returns the exit status. */
#ifndef KICKSTORM_COMMANDS_H
#define KICKSTORM_COMMANDS_H

int cmd_run(int argc, char **argv);
int cmd_info(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_compare(int argc, char **argv);
int cmd_show(int argc, char **argv);
int cmd_plot(int argc, char **argv);

#endif
