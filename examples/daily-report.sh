#!/usr/bin/env bash
# Sends a daily report to a DingTalk group through its custom robot (自定义机器人), in 加签 (sign) mode.
#
# The webhook and secret come from the environment, never from the command line (command lines show up
# in `ps`). Put them in a file only you can read, e.g. ~/.dingbot-report.env (chmod 600):
#
#   DINGTALK_WEBHOOK='https://oapi.dingtalk.com/robot/send?access_token=…'
#   DINGTALK_SECRET='SEC…'
#
# and run this every weekday at 09:00 with this crontab line (`crontab -e`; cron has a short PATH, so name
# node's directory, and cd into a project where dingbot-tools is installed; see the README):
#
#   0 9 * * 1-5  cd /srv/reports && set -a && . ~/.dingbot-report.env && set +a && PATH=/usr/local/bin:$PATH ./daily-report.sh >> /var/log/daily-report.log 2>&1
#
# Try it offline first, against the emulator (`npx dingbot emulator` in another terminal):
#
#   export DINGTALK_BASE_URL=http://127.0.0.1:8089
#   export DINGTALK_WEBHOOK=$(curl -s -X POST $DINGTALK_BASE_URL/_emulator/robots \
#       -H 'content-type: application/json' -d '{"secret":"SECdemo","name":"日报机器人"}' | jq -r .webhook)
#   export DINGTALK_SECRET=SECdemo
#   examples/daily-report.sh
#
# Exit codes are dingbot send's: 0 sent; 1 DingTalk refused it (the message says why and how to fix it) or
# the network failed; 2 bad usage. cron mails or logs the output, so a failure is seen.
set -euo pipefail

: "${DINGTALK_WEBHOOK:?set DINGTALK_WEBHOOK to the robot's webhook URL}"
: "${DINGTALK_SECRET:?set DINGTALK_SECRET to the robot's SEC… secret (加签)}"

today=$(date +%F)
disk=$(df -h / | awk 'NR == 2 { print $5 " used of " $2 }')
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || uptime)

# The markdown body is read from stdin ("-"), so it can span lines and hold any character. `--no` stops
# npx from fetching some other package named "dingbot" from the registry when dingbot-tools is missing.
npx --no dingbot send --title "日报 ${today}" --markdown - <<REPORT
### 日报 ${today}

- **主机**: $(hostname)
- **磁盘 /**: ${disk}
- **负载**: ${load}

> 由 dingbot 每日 09:00 自动发送
REPORT
