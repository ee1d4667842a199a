// @fewlabel/realtime: socket.io event contracts shared by the server, the browser and the trainer.
export * from "./contracts";
